// The fan-out engine: batches ticks per window, encodes each once, and writes one frame per socket;
// sockets whose frame carries one channel's news alone share one pre-built wire frame.
// Free of Socket.IO: sockets are ClientSinks and packets are built from an injected FanOutWire
// (socket-io.wire.ts), so the engine is tested without a server. Compact subscriptions
// (compact-ticks.encoder.ts) get their own parts, also encoded once per window and shared.
import type {
  Interval,
  LiveCandle,
  Notice,
  StreamMode,
  Subscription,
  Tick,
  TickEncoding,
} from '../contracts';
import { PRICE_SCALES, subscriptionKey } from '../contracts';
import {
  compactDelta,
  compactEntry,
  compactHead,
  compactKeyframe,
  compactPrecision,
} from './compact-ticks.encoder';

/** What the engine needs of a connected socket. */
export interface ClientSink {
  /** Writes one packet, built with the FanOutWire, to the socket. */
  write(packet: string): void;
  /**
   * Writes a packet already framed for the wire by `FanOutWire.frame`, straight to the
   * connection, when its transport can take it now without reordering; false when it cannot
   * (the engine then calls write() with the packet).
   */
  writeFrame(frame: string): boolean;
  /** Bytes written but not yet handed to the kernel. */
  bufferedBytes(): number;
  notice(notice: Notice): void;
  disconnect(reason: string): void;
}

/**
 * The transport's packets, as the engine writes them: `${ticksPrefix}${json}${suffix}` carries
 * comma-separated ticks as one `ticks` event, likewise for candles. Precomputed strings, so that
 * building a packet costs one concatenation.
 */
export interface FanOutWire {
  readonly ticksPrefix: string;
  /** Likewise for compact tick entries, as one `t` event. */
  readonly compactTicksPrefix: string;
  readonly candlesPrefix: string;
  readonly suffix: string;
  /**
   * The wire form of an ASCII packet (for Socket.IO over WebSocket, the whole WebSocket frame),
   * built once per shared part and handed to ClientSink.writeFrame(). Without it, every packet
   * goes through ClientSink.write().
   */
  readonly frame?: (packet: string) => string;
}

export interface FanOutOptions {
  /**
   * Unsent bytes past which a socket's full subscriptions are conflated. Replays are written
   * while a socket's unsent bytes are under half of it, in frames of at most a quarter of it.
   */
  slowClientBytes: number;
  /** Growth of a conflated socket's unsent bytes past which it is disconnected. */
  degradedGrowthBytes: number;
  /** Unsent bytes past which a socket is disconnected, whatever its subscriptions. */
  maxClientBytes: number;
  /** Throttle applied to a slow socket's degraded subscriptions. */
  degradedThrottleMs: number;
  wire: FanOutWire;
  /**
   * A symbol's price precision (decimals of its tick size), the unit compact deltas count in;
   * without it, compact entries count in 10^-8.
   */
  pricePrecision?: (symbol: string) => number;
}

export const DEFAULT_THROTTLE_MS = 250;

/** Most ticks in one replay packet, so that a long resume does not make one huge frame. */
export const REPLAY_FRAME_TICKS = 1_000;

/**
 * Live ticks a symbol's replay may hold back while the socket has not taken the replay yet;
 * past them the socket is not keeping up, and is conflated like any slow socket.
 */
export const MAX_HELD_TICKS = 10_000;

/**
 * How long a replay may wait for its socket to take more before the socket is dropped as a slow
 * consumer: a socket that does not read must not keep a replay's ticks in memory.
 */
export const REPLAY_STALL_MS = 30_000;

/** How many sockets a flush writes between two looks at its time budget. */
export const SLICE_CHECK = 32;

/** A follower's fromSeq while its replay is being written: every window takes the rare path. */
const HOLDING = Number.MAX_SAFE_INTEGER;

interface FullFollower {
  client: ClientState;
  /** Compact encoding: in the channel's `compact` list rather than `full`. */
  readonly compact: boolean;
  /**
   * Compact only: the socket holds the channel's last window's last tick (`TickChannel.base`),
   * so the window's shared deltas apply to it. False until its first keyframe.
   */
  synced: boolean;
  /**
   * Ticks below this seq were in the subscriber's snapshot or replay; 0 once passed; HOLDING
   * while `replay` is being written.
   */
  fromSeq: number;
  replay: PendingReplay | undefined;
}

/**
 * A symbol's replay not yet written to its socket, followed by the live ticks held back behind
 * it, so that the socket sees that symbol's seqs in order with no gap and no duplicate.
 */
class PendingReplay {
  /** Compact replays: the symbol's entry head and precision. */
  compact: { head: string; precision: number } | undefined;
  /** Next tick of `ticks` to write. */
  index = 0;
  /** Live ticks appended since the replay began. */
  held = 0;
  /** Missed ticks (those before the live ones) not written yet. */
  missedLeft: number;
  /** When the socket was first found too full to take more of it; undefined while it takes. */
  stalledSince: number | undefined;
  constructor(
    readonly follower: FullFollower,
    readonly ticks: Tick[],
    /** The seq after the last tick in `ticks`: where the live stream takes over. */
    public nextSeq: number,
  ) {
    this.missedLeft = ticks.length;
  }
}

interface ConflatedFollower {
  client: ClientState;
  lastSentSeq: number;
  /** Sent compact keyframes instead of JSON ticks. */
  compact: boolean;
}

class ConflatedGroup {
  lastRun = 0;
  readonly followers: ConflatedFollower[] = [];
  constructor(readonly throttleMs: number) {}
}

class TickChannel {
  /** Full-mode followers in JSON, and in the compact encoding. */
  readonly full: FullFollower[] = [];
  readonly compact: FullFollower[] = [];
  readonly conflated = new Map<number, ConflatedGroup>();
  readonly window: Tick[] = [];
  dirty = false;
  latest: Tick | undefined;
  /** The last tick of the last window sent: what the next window's shared deltas start from. */
  base: Tick | undefined;
  /** The start of the symbol's compact entries, `["AAPL"`. */
  readonly head: string;
  constructor(
    readonly symbol: string,
    /** Decimals of the unit compact deltas count prices in. */
    readonly precision: number,
  ) {
    this.head = compactHead(symbol);
  }

  get followerCount(): number {
    let n = this.full.length + this.compact.length;
    for (const g of this.conflated.values()) n += g.followers.length;
    return n;
  }
}

class CandleChannel {
  readonly followers: ClientState[] = [];
  pending: string | undefined;
  dirty = false;
}

/** JSON.stringify escapes control characters, so its output is printable ASCII or has this. */
const NON_ASCII = /[^ -~]/;

/**
 * One channel's news for one window, encoded once: comma-separated JSON. Sockets whose frame
 * carries this part alone (the common case) share its packet and its wire frame.
 */
class Part {
  readonly ascii: boolean;
  packet: string | undefined;
  frame: string | undefined;
  constructor(readonly json: string) {
    this.ascii = !NON_ASCII.test(json);
  }
}

interface SubRecord {
  sub: Subscription;
}

export class ClientState {
  /** Encoded parts queued for this window's frames. */
  readonly ticks: Part[] = [];
  readonly compact: Part[] = [];
  readonly candles: Part[] = [];
  queued = false;
  degraded = false;
  /** Unsent bytes when the client was conflated; the drop bound counts from there. */
  backlogAtDegrade = 0;
  closed = false;
  readonly subs = new Map<string, SubRecord>();
  /** Replays still being written, oldest first. */
  readonly replays: PendingReplay[] = [];
  /** Replays whose missed ticks are not all written yet, and who waits for them. */
  missedPending = 0;
  readonly missedWaiters: Array<() => void> = [];
  constructor(readonly sink: ClientSink) {}
}

function swapRemove<T>(list: T[], match: (item: T) => boolean): T | undefined {
  for (let i = 0; i < list.length; i++) {
    if (match(list[i])) {
      const item = list[i];
      list[i] = list[list.length - 1];
      list.pop();
      return item;
    }
  }
  return undefined;
}

function encodeTicks(ticks: readonly Tick[], fromIndex = 0, toIndex = ticks.length): string {
  let out = '';
  for (let i = fromIndex; i < toIndex; i++) {
    out += i === fromIndex ? JSON.stringify(ticks[i]) : `,${JSON.stringify(ticks[i])}`;
  }
  return out;
}

/**
 * The replay ticks from `replay.index` that fit in one frame: a tick at least, then up to
 * maxChars; never both missed and held live ticks, so that the acknowledgement can go between.
 */
function encodeReplayFrame(replay: PendingReplay, maxChars: number): string {
  const ticks = replay.ticks;
  const left = replay.missedLeft > 0 ? replay.missedLeft : ticks.length - replay.index;
  const end = replay.index + Math.min(REPLAY_FRAME_TICKS, left);
  let i = replay.index;
  let out = JSON.stringify(ticks[i++]);
  while (i < end && out.length < maxChars) out += `,${JSON.stringify(ticks[i++])}`;
  if (replay.missedLeft > 0) replay.missedLeft -= i - replay.index;
  replay.index = i;
  return out;
}

/** encodeReplayFrame for a compact replay: one entry, a keyframe first, deltas after it. */
function encodeCompactReplayFrame(
  replay: PendingReplay,
  maxChars: number,
  head: string,
  precision: number,
): string {
  const ticks = replay.ticks;
  const scale = PRICE_SCALES[precision];
  const left = replay.missedLeft > 0 ? replay.missedLeft : ticks.length - replay.index;
  const end = replay.index + Math.min(REPLAY_FRAME_TICKS, left);
  let i = replay.index;
  let prev = ticks[i++];
  let out = `${head},${compactKeyframe(prev, precision)}`;
  while (i < end && out.length < maxChars) {
    const t = ticks[i++];
    const delta = compactDelta(prev, t, scale);
    out += delta === undefined ? `,${compactKeyframe(t, precision)}` : `,${delta}`;
    prev = t;
  }
  if (replay.missedLeft > 0) replay.missedLeft -= i - replay.index;
  replay.index = i;
  return `${out}]`;
}

export class FanOut {
  private readonly tickChannels = new Map<string, TickChannel>();
  private readonly candleChannels = new Map<string, CandleChannel>();
  private readonly dirtyTicks: TickChannel[] = [];
  private readonly dirtyCandles: CandleChannel[] = [];
  private readonly conflatedChannels = new Set<TickChannel>();
  /** Sockets with frames to write, in window order; those before `queueHead` are written. */
  private readonly queue: ClientState[] = [];
  private queueHead = 0;
  private readonly clients = new Set<ClientState>();
  /** Clients with replays still to write; each flush writes more of them. */
  private readonly replaying = new Set<ClientState>();
  /** Clients whose replays held back too many live ticks during this flush. */
  private readonly overflowed: ClientState[] = [];
  /** Unsent bytes past which send() looks closer: the lower of the two bounds. */
  private readonly checkBytes: number;
  /** Unsent bytes under which a replay frame is written, and the size of one. */
  private readonly replayBelowBytes: number;
  private readonly replayFrameChars: number;
  /** Plain counters, read by the metrics endpoint. */
  readonly counters = { framesWritten: 0, conflatedClients: 0, droppedClients: 0 };
  private readonly ticksPrefix: string;
  private readonly compactPrefix: string;
  private readonly candlesPrefix: string;
  private readonly suffix: string;
  private readonly frame: ((packet: string) => string) | undefined;
  /** The `stalled` notice in force, until a `recovered` one. */
  private stalled: Notice | undefined;
  /** `ts` of the oldest tick of the window being written; NaN when none is. */
  private writingSince = NaN;
  /**
   * Called once the last frame of a window is written, with the `ts` of its oldest tick: the
   * longest any of its ticks waited in the server (metrics).
   */
  onWindowWritten: ((oldestTs: number) => void) | undefined;

  constructor(private readonly options: FanOutOptions) {
    this.ticksPrefix = options.wire.ticksPrefix;
    this.compactPrefix = options.wire.compactTicksPrefix;
    this.candlesPrefix = options.wire.candlesPrefix;
    this.suffix = options.wire.suffix;
    this.frame = options.wire.frame;
    this.checkBytes = Math.min(options.slowClientBytes, options.maxClientBytes);
    this.replayBelowBytes = options.slowClientBytes / 2;
    this.replayFrameChars = options.slowClientBytes / 4;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  addClient(sink: ClientSink): ClientState {
    const client = new ClientState(sink);
    this.clients.add(client);
    // A socket that connects while the stream is stalled learns it at once, not at the recovery.
    if (this.stalled) sink.notice(this.stalled);
    return client;
  }

  removeClient(client: ClientState): void {
    client.closed = true;
    for (const { sub } of [...client.subs.values()]) this.unsubscribe(client, sub);
    this.clients.delete(client);
    this.replaying.delete(client);
  }

  subscriptions(client: ClientState): Subscription[] {
    return [...client.subs.values()]
      .map((r) => r.sub)
      .sort(
        (a, b) =>
          a.channel.localeCompare(b.channel) ||
          a.symbol.localeCompare(b.symbol) ||
          (a.interval ?? '').localeCompare(b.interval ?? ''),
      );
  }

  has(client: ClientState, sub: Pick<Subscription, 'symbol' | 'channel' | 'interval'>): boolean {
    return client.subs.has(subscriptionKey(sub.channel, sub.symbol, sub.interval));
  }

  existing(
    client: ClientState,
    sub: Pick<Subscription, 'symbol' | 'channel' | 'interval'>,
  ): Subscription | undefined {
    return client.subs.get(subscriptionKey(sub.channel, sub.symbol, sub.interval))?.sub;
  }

  subscriptionCount(client: ClientState): number {
    return client.subs.size;
  }

  /** True once the client was removed (its socket closed or was dropped). */
  isClosed(client: ClientState): boolean {
    return client.closed;
  }

  /** True while some of a client's replays are not written yet. */
  isReplaying(client: ClientState): boolean {
    return client.replays.length > 0;
  }

  /**
   * Resolves once every missed tick of the client's replays is written (or a replay was given
   * up: unsubscribed, conflated, the socket gone), so that the subscribe's acknowledgement
   * follows them. The live ticks held behind a replay are written after it, from the next flush.
   */
  missedWritten(client: ClientState): Promise<void> {
    if (client.missedPending === 0) return Promise.resolve();
    return new Promise((resolve) => client.missedWaiters.push(resolve));
  }

  /**
   * Subscribes a client to a symbol's ticks. In full mode, ticks with seq < fromSeq are not sent
   * (the snapshot or replay covered them). Replaces an existing ticks subscription of the symbol.
   *
   * `replay` (full mode): the ticks a resume missed, seqs fromSeq - replay.length to fromSeq - 1,
   * which the fan-out now owns. They are written ahead of the live stream in `ticks` packets of
   * at most REPLAY_FRAME_TICKS, while the socket's unsent bytes allow, over this call and the
   * next flushes; the symbol's live ticks wait behind them.
   *
   * `encoding` 'compact': `t` packets of compact entries instead; the socket gets a keyframe of
   * the symbol first (and at the start of every replay packet), deltas after it.
   */
  subscribeTicks(
    client: ClientState,
    symbol: string,
    mode: StreamMode,
    fromSeq: number,
    throttleMs = DEFAULT_THROTTLE_MS,
    replay?: Tick[],
    encoding: TickEncoding = 'json',
  ): void {
    const key = subscriptionKey('ticks', symbol);
    const prior = client.subs.get(key);
    if (prior) this.unsubscribe(client, prior.sub);
    const channel = this.tickChannel(symbol);
    const compact = encoding === 'compact';
    let sub: Subscription;
    if (mode === 'full') {
      const follower: FullFollower = { client, compact, synced: false, fromSeq, replay: undefined };
      (compact ? channel.compact : channel.full).push(follower);
      sub = { symbol, channel: 'ticks', mode };
      if (replay?.length) {
        follower.fromSeq = HOLDING;
        follower.replay = new PendingReplay(follower, replay, fromSeq);
        if (compact) {
          follower.replay.compact = { head: channel.head, precision: channel.precision };
        }
        client.replays.push(follower.replay);
        client.missedPending++;
        this.replaying.add(client);
      }
    } else {
      let group = channel.conflated.get(throttleMs);
      if (!group) channel.conflated.set(throttleMs, (group = new ConflatedGroup(throttleMs)));
      group.followers.push({ client, lastSentSeq: fromSeq - 1, compact });
      this.conflatedChannels.add(channel);
      sub = { symbol, channel: 'ticks', mode, throttleMs };
    }
    if (compact) sub.encoding = 'compact';
    client.subs.set(key, { sub });
    if (replay?.length && mode === 'full') this.writeReplays(client);
  }

  subscribeCandles(client: ClientState, symbol: string, interval: Interval): void {
    const key = subscriptionKey('candles', symbol, interval);
    if (client.subs.has(key)) return;
    let channel = this.candleChannels.get(key);
    if (!channel) this.candleChannels.set(key, (channel = new CandleChannel()));
    channel.followers.push(client);
    client.subs.set(key, { sub: { symbol, channel: 'candles', interval, mode: 'full' } });
  }

  unsubscribe(
    client: ClientState,
    sub: Pick<Subscription, 'symbol' | 'channel' | 'interval'>,
  ): void {
    const key = subscriptionKey(sub.channel, sub.symbol, sub.interval);
    const record = client.subs.get(key);
    if (!record) return;
    client.subs.delete(key);
    if (sub.channel === 'candles') {
      const channel = this.candleChannels.get(key);
      if (channel) swapRemove(channel.followers, (c) => c === client);
      return;
    }
    const channel = this.tickChannels.get(sub.symbol);
    if (!channel) return;
    if (record.sub.mode === 'full') {
      const list = record.sub.encoding === 'compact' ? channel.compact : channel.full;
      const follower = swapRemove(list, (f) => f.client === client);
      if (follower?.replay) this.cancelReplay(follower.replay);
    } else {
      const group = channel.conflated.get(record.sub.throttleMs ?? DEFAULT_THROTTLE_MS);
      if (group) {
        swapRemove(group.followers, (f) => f.client === client);
        if (!group.followers.length) channel.conflated.delete(group.throttleMs);
      }
      if (!channel.conflated.size) this.conflatedChannels.delete(channel);
    }
  }

  /** Per tick: the hot path. One map lookup, one push. */
  onTick(tick: Tick): void {
    const channel = this.tickChannels.get(tick.symbol);
    if (!channel) return;
    channel.latest = tick;
    if (channel.full.length === 0 && channel.compact.length === 0) return;
    channel.window.push(tick);
    if (!channel.dirty) {
      channel.dirty = true;
      this.dirtyTicks.push(channel);
    }
  }

  onCandles(candles: readonly LiveCandle[]): void {
    for (const candle of candles) {
      const channel = this.candleChannels.get(
        subscriptionKey('candles', candle.symbol, candle.interval),
      );
      if (!channel || channel.followers.length === 0) continue;
      const json = JSON.stringify(candle);
      channel.pending = channel.pending === undefined ? json : `${channel.pending},${json}`;
      if (!channel.dirty) {
        channel.dirty = true;
        this.dirtyCandles.push(channel);
      }
    }
  }

  /**
   * Ends a batch window: every socket with news gets at most one `ticks` and one `candles` frame.
   * The window is encoded and queued whole; its frames are written while `more()` (asked every
   * SLICE_CHECK sockets) says there is time left, and the rest by drain() later, so that writing
   * to thousands of sockets never holds the event loop for long. True while sockets still wait.
   * While the last window's frames are not all written, the window does not end: its ticks wait
   * for the next flush, so that a server behind writes fewer, fuller frames, each encoded once.
   */
  flush(now: number, more?: () => boolean): boolean {
    if (this.queueHead < this.queue.length && this.drain(more)) {
      this.afterSend(now);
      return true;
    }
    const dirty = this.dirtyTicks;
    let oldest = Infinity;
    for (let c = 0; c < dirty.length; c++) {
      const channel = dirty[c];
      const window = channel.window;
      if (window[0].ts < oldest) oldest = window[0].ts;
      const firstSeq = window[0].seq;
      const full = channel.full;
      if (full.length) {
        const part = new Part(encodeTicks(window));
        for (let i = 0; i < full.length; i++) {
          const f = full[i];
          const start = this.unsentFrom(f, window, firstSeq);
          if (start === 0) this.enqueue(f.client).ticks.push(part);
          else if (start > 0)
            this.enqueue(f.client).ticks.push(new Part(encodeTicks(window, start)));
        }
      }
      if (channel.compact.length) this.flushCompact(channel, window, firstSeq);
      channel.base = window[window.length - 1];
      window.length = 0;
      channel.dirty = false;
    }
    dirty.length = 0;

    for (const channel of this.conflatedChannels) {
      const latest = channel.latest;
      if (!latest) continue;
      let part: Part | undefined;
      let keyframe: Part | undefined;
      for (const group of channel.conflated.values()) {
        if (now - group.lastRun < group.throttleMs) continue;
        group.lastRun = now;
        for (const f of group.followers) {
          if (latest.seq <= f.lastSentSeq) continue;
          f.lastSentSeq = latest.seq;
          if (f.compact) {
            keyframe ??= new Part(`${channel.head},${compactKeyframe(latest, channel.precision)}]`);
            this.enqueue(f.client).compact.push(keyframe);
          } else {
            this.enqueue(f.client).ticks.push((part ??= new Part(JSON.stringify(latest))));
          }
        }
      }
    }

    for (const channel of this.dirtyCandles) {
      const part = new Part(channel.pending!);
      for (const client of channel.followers) this.enqueue(client).candles.push(part);
      channel.pending = undefined;
      channel.dirty = false;
    }
    this.dirtyCandles.length = 0;

    if (oldest < Infinity && this.queue.length > this.queueHead) this.writingSince = oldest;
    const waiting = this.drain(more);
    this.afterSend(now);
    return waiting;
  }

  /** Sockets whose replays held back too many live ticks are slowed; pending replays go on. */
  private afterSend(now: number): void {
    if (this.overflowed.length) {
      for (const client of this.overflowed.splice(0)) {
        if (!client.closed) this.slow(client, client.sink.bufferedBytes(), true);
      }
    }
    if (this.replaying.size) for (const client of this.replaying) this.writeReplays(client, now);
  }

  /**
   * Writes the frames of sockets still waiting from earlier windows, oldest first, while `more()`
   * (asked every SLICE_CHECK sockets) says there is time left; all of them without it. True while
   * some still wait.
   */
  drain(more?: () => boolean): boolean {
    const queue = this.queue;
    let i = this.queueHead;
    while (i < queue.length) {
      this.send(queue[i++]);
      if (more && i % SLICE_CHECK === 0 && i < queue.length && !more()) break;
    }
    if (i === queue.length) {
      queue.length = 0;
      this.queueHead = 0;
      if (!Number.isNaN(this.writingSince)) {
        const since = this.writingSince;
        this.writingSince = NaN;
        this.onWindowWritten?.(since);
      }
      return false;
    }
    // Sockets written leave the front of the queue; compact it now and then, not per slice.
    if (i > 4_096 && i * 2 > queue.length) {
      queue.copyWithin(0, i);
      queue.length -= i;
      i = 0;
    }
    this.queueHead = i;
    return true;
  }

  /** Sockets whose frames of an ended window are not written yet. */
  get waitingClients(): number {
    return this.queue.length - this.queueHead;
  }

  /** Tells every client news of the stream: it stalled or recovered, the server is going away. */
  broadcastNotice(notice: Notice): void {
    if (notice.type === 'stalled') this.stalled = notice;
    else if (notice.type === 'recovered') this.stalled = undefined;
    for (const client of this.clients) client.sink.notice(notice);
  }

  /**
   * A window of a symbol for its compact followers. The deltas against the previous window's
   * last tick are encoded once and shared by every follower that holds that tick (all of them
   * after their first window); one keyframe-led part is shared by those starting at the window's
   * first tick; only a follower whose snapshot covered part of the window gets its own.
   */
  private flushCompact(channel: TickChannel, window: Tick[], firstSeq: number): void {
    const compact = channel.compact;
    const { head, precision } = channel;
    let shared: Part | undefined;
    let keyed: Part | undefined;
    for (let i = 0; i < compact.length; i++) {
      const f = compact[i];
      const start = this.unsentFrom(f, window, firstSeq);
      if (start < 0) continue;
      if (start > 0) {
        f.synced = true;
        const entry = compactEntry(head, window, start, window.length, undefined, precision);
        this.enqueue(f.client).compact.push(new Part(entry));
      } else {
        if (f.synced) {
          shared ??= new Part(
            compactEntry(head, window, 0, window.length, channel.base, precision),
          );
          this.enqueue(f.client).compact.push(shared);
        } else {
          f.synced = true;
          keyed ??= new Part(compactEntry(head, window, 0, window.length, undefined, precision));
          this.enqueue(f.client).compact.push(keyed);
        }
      }
    }
  }

  /**
   * Where a full follower's share of a symbol's window starts: 0 when it follows the stream (the
   * shared part), the index of its first unsent tick in its first window after a subscribe (the
   * snapshot or replay gave the rest), -1 when it gets none of it (its replay holds the window
   * back, or the snapshot covered all of it).
   */
  private unsentFrom(f: FullFollower, window: readonly Tick[], firstSeq: number): number {
    if (f.fromSeq <= firstSeq) {
      if (f.fromSeq) f.fromSeq = 0;
      return 0;
    }
    if (f.replay) {
      this.hold(f.replay, window);
      return -1;
    }
    const start = window.findIndex((t) => t.seq >= f.fromSeq);
    f.fromSeq = 0;
    return start;
  }

  private enqueue(client: ClientState): ClientState {
    if (!client.queued) {
      client.queued = true;
      this.queue.push(client);
    }
    return client;
  }

  private send(client: ClientState): void {
    client.queued = false;
    if (client.closed) {
      client.ticks.length = 0;
      client.compact.length = 0;
      client.candles.length = 0;
      return;
    }
    const sink = client.sink;
    if (client.ticks.length) {
      this.writeParts(sink, client.ticks, this.ticksPrefix);
      client.ticks.length = 0;
    }
    if (client.compact.length) {
      this.writeParts(sink, client.compact, this.compactPrefix);
      client.compact.length = 0;
    }
    if (client.candles.length) {
      this.writeParts(sink, client.candles, this.candlesPrefix);
      client.candles.length = 0;
    }
    const buffered = sink.bufferedBytes();
    if (buffered > this.checkBytes) this.slow(client, buffered);
  }

  /**
   * Writes a client's pending replays, a frame at a time, while its unsent bytes are under half
   * the slow bound; the rest waits for a later flush (`now`: that flush's time; a replay the
   * socket takes nothing of for REPLAY_STALL_MS drops it). Missed ticks go first, every replay's;
   * held live ticks only from the flush after the last missed one (after the acknowledgement).
   * A finished replay hands its symbol over to the live stream at the seq after its last tick.
   */
  private writeReplays(client: ClientState, now?: number): void {
    const sink = client.sink;
    const replays = client.replays;
    while (replays.length) {
      const buffered = sink.bufferedBytes();
      const replay = client.missedPending > 0 ? replays.find((r) => r.missedLeft > 0)! : replays[0];
      if (buffered > this.options.maxClientBytes) {
        this.drop(client, buffered);
        return;
      }
      if (buffered >= this.replayBelowBytes) {
        if (now === undefined) return;
        replay.stalledSince ??= now;
        if (now - replay.stalledSince > REPLAY_STALL_MS) this.drop(client, buffered);
        return;
      }
      replay.stalledSince = undefined;
      const missed = replay.missedLeft > 0;
      const compact = replay.compact;
      if (compact) {
        const entry = encodeCompactReplayFrame(
          replay,
          this.replayFrameChars,
          compact.head,
          compact.precision,
        );
        sink.write(`${this.compactPrefix}${entry}${this.suffix}`);
      } else {
        const json = encodeReplayFrame(replay, this.replayFrameChars);
        sink.write(`${this.ticksPrefix}${json}${this.suffix}`);
      }
      const done = replay.index === replay.ticks.length;
      if (done) {
        const follower = replay.follower;
        follower.fromSeq = replay.nextSeq;
        follower.replay = undefined;
        replays.splice(replays.indexOf(replay), 1);
      } else {
        // What was written no longer needs keeping.
        replay.ticks.splice(0, replay.index);
        replay.index = 0;
      }
      if (missed && replay.missedLeft === 0) {
        this.missedDone(client);
        // The acknowledgement goes out before the next flush writes any held live tick.
        if (client.missedPending === 0 && replays.length) return;
      }
    }
    this.replaying.delete(client);
  }

  /** A window's live ticks of a symbol whose replay is still being written: queued behind it. */
  private hold(replay: PendingReplay, window: readonly Tick[]): void {
    for (let i = 0; i < window.length; i++) {
      const tick = window[i];
      if (tick.seq < replay.nextSeq) continue;
      replay.ticks.push(tick);
      replay.nextSeq = tick.seq + 1;
      replay.held++;
    }
    const client = replay.follower.client;
    if (replay.held > MAX_HELD_TICKS && !this.overflowed.includes(client)) {
      this.overflowed.push(client);
    }
  }

  private cancelReplay(replay: PendingReplay): void {
    const client = replay.follower.client;
    const i = client.replays.indexOf(replay);
    if (i >= 0) client.replays.splice(i, 1);
    replay.follower.replay = undefined;
    if (!client.replays.length) this.replaying.delete(client);
    if (replay.missedLeft > 0) {
      replay.missedLeft = 0;
      this.missedDone(client);
    }
  }

  private missedDone(client: ClientState): void {
    if (--client.missedPending > 0) return;
    for (const resolve of client.missedWaiters.splice(0)) resolve();
  }

  /** One frame: a part's shared packet and wire frame, or this socket's own join of several. */
  private writeParts(sink: ClientSink, parts: Part[], prefix: string): void {
    this.counters.framesWritten++;
    const frame = this.frame;
    if (parts.length === 1) {
      const part = parts[0];
      const packet = (part.packet ??= `${prefix}${part.json}${this.suffix}`);
      if (frame && part.ascii && sink.writeFrame((part.frame ??= frame(packet)))) return;
      sink.write(packet);
      return;
    }
    let json = parts[0].json;
    let ascii = parts[0].ascii;
    for (let i = 1; i < parts.length; i++) {
      json += `,${parts[i].json}`;
      ascii &&= parts[i].ascii;
    }
    const packet = `${prefix}${json}${this.suffix}`;
    if (frame && ascii && sink.writeFrame(frame(packet))) return;
    sink.write(packet);
  }

  /**
   * A socket that cannot keep up (its backlog passed the slow bound, or `force`: its replays
   * held back too many live ticks): past maxClientBytes unsent it is disconnected, whatever its
   * subscriptions; otherwise it is conflated first, whatever its backlog (one frame of a busy
   * window can pass the slow bound and the growth bound at once), and disconnected only if,
   * conflated, its backlog still grows by degradedGrowthBytes.
   */
  private slow(client: ClientState, buffered: number, force = false): void {
    if (buffered > this.options.maxClientBytes) {
      this.drop(client, buffered);
      return;
    }
    if (!force && buffered <= this.options.slowClientBytes) return;
    if (client.degraded) {
      if (buffered - client.backlogAtDegrade <= this.options.degradedGrowthBytes) return;
      this.drop(client, buffered);
      return;
    }
    client.degraded = true;
    client.backlogAtDegrade = buffered;
    this.counters.conflatedClients++;
    const symbols: string[] = [];
    for (const { sub } of [...client.subs.values()]) {
      if (sub.channel !== 'ticks' || sub.mode !== 'full') continue;
      symbols.push(sub.symbol);
      const throttleMs = this.options.degradedThrottleMs;
      this.subscribeTicks(client, sub.symbol, 'conflated', 0, throttleMs, undefined, sub.encoding);
    }
    if (symbols.length) {
      client.sink.notice({
        type: 'conflated',
        reason: 'slow_consumer',
        message: `This connection is not keeping up (${buffered} bytes unsent): ${symbols.length} full subscription(s) now conflated at ${this.options.degradedThrottleMs} ms. Subscribe again with mode 'full' and resume to return.`,
        symbols: symbols.sort(),
        throttleMs: this.options.degradedThrottleMs,
      });
    }
  }

  private drop(client: ClientState, buffered: number): void {
    client.sink.notice({
      type: 'disconnecting',
      reason: 'slow_consumer',
      message: `Disconnecting: ${buffered} bytes unsent; this connection is not reading what it is sent`,
    });
    client.sink.disconnect('slow consumer');
    this.counters.droppedClients++;
    this.removeClient(client);
  }

  /**
   * Whether a client that asks for full mode again may have it. A degraded client may once its
   * backlog has fallen under the slow bound (its degraded mark is then cleared); one still
   * backlogged stays degraded, with its drop bound unchanged, so that re-subscribing cannot
   * save a socket that does not read from being dropped.
   */
  restore(client: ClientState): boolean {
    if (!client.degraded) return true;
    if (client.sink.bufferedBytes() > this.options.slowClientBytes) return false;
    client.degraded = false;
    return true;
  }

  /** The throttle a degraded client's tick subscriptions get. */
  get degradedThrottleMs(): number {
    return this.options.degradedThrottleMs;
  }

  private tickChannel(symbol: string): TickChannel {
    let channel = this.tickChannels.get(symbol);
    if (!channel) {
      const precision = compactPrecision(this.options.pricePrecision?.(symbol) ?? NaN);
      this.tickChannels.set(symbol, (channel = new TickChannel(symbol, precision)));
    }
    return channel;
  }

  /** Followers per symbol, for metrics and tests. */
  followers(symbol: string): number {
    return this.tickChannels.get(symbol)?.followerCount ?? 0;
  }
}
