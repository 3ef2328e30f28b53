// The stream: the only file that knows the socket's event names. It keeps the server's
// subscriptions equal to what the page wants, and re-establishes them (resuming by seq) on every connect.
// The stored key goes in the handshake's `auth` (never the URL), read afresh at every (re)connect.
// Ticks arrive in the compact encoding by default and are decoded here, so the rest of the page
// sees Tick objects either way.
import { io, type Socket } from 'socket.io-client';
import {
  CompactFrameError,
  CompactTickDecoder,
  EVENTS,
  type ClientToServerEvents,
  type Interval,
  type LiveCandle,
  type Notice,
  type ServerToClientEvents,
  type Snapshot,
  type StreamMode,
  type SubscribeRequest,
  type Subscription,
  type Tick,
  type TickEncoding,
} from '../../src/contracts';
import type { Credentials } from './auth';

type TbSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface CandleSelection {
  symbol: string;
  interval: Interval;
}

export interface StreamHandlers {
  connected(reconnect: boolean): void;
  disconnected(reason: string): void;
  connectError(message: string): void;
  /** The server refused the handshake's credentials: the stream waits for `reconnect()`. */
  unauthorized(message: string): void;
  /** Snapshots from a subscribe acknowledgement. */
  snapshots(snapshots: Snapshot[]): void;
  /** Symbols the server could not resume: reload them over REST. */
  unresumable(symbols: string[]): void;
  /** A subscribe acknowledgement named the node serving this connection (null: it named none). */
  node(node: string | null): void;
  ticks(ticks: Tick[]): void;
  /** Live candles; the subscribe acknowledgement's open candles arrive here too. */
  candles(candles: LiveCandle[]): void;
  /** The candle stream for `sel` is on (true) or could not be had (false, with the reason). */
  candleStatus(sel: CandleSelection, ok: boolean, reason?: string): void;
  notice(notice: Notice): void;
  /** The stream is the dashboard's synthetic benchmark feed, not market data. */
  synthetic(): void;
  subscribeFailed(message: string): void;
  /** These symbols now stream in `mode` (confirmed for 'full'; announced before the switch for 'conflated'). */
  modes(symbols: string[], mode: StreamMode): void;
}

export interface StreamOptions {
  /** Same origin when omitted. */
  url?: string;
  /** The watchlist's mode; the focused symbol always streams in full (every tick, resumable). */
  mode: StreamMode;
  throttleMs?: number;
  /** Last seq held per symbol, read at each reconnect. */
  resumePoints(): Record<string, number>;
  handlers: StreamHandlers;
  /** The key for the handshake, and where the server's verdict on it goes. */
  credentials?: Credentials;
  /** How ticks travel: 'compact' (default; a third of the bytes) or 'json'. */
  encoding?: TickEncoding;
}

export interface MarketStream {
  setSymbols(symbols: readonly string[]): void;
  /** The symbol the trader is looking at: streamed in full, resumed by seq after a reconnect. */
  setFocus(symbol: string | null): void;
  setCandles(sel: CandleSelection | null): void;
  readonly isConnected: boolean;
  /** Connects again if the stream gave up (its key was refused), with the key held now. */
  reconnect(): void;
  close(): void;
}

const ACK_TIMEOUT_MS = 8_000;
const MAX_SYMBOLS_PER_REQUEST = 500;

function sameSel(a: CandleSelection | null, b: CandleSelection | null): boolean {
  return a === b || (!!a && !!b && a.symbol === b.symbol && a.interval === b.interval);
}

function isLiveCandle(x: unknown): x is LiveCandle {
  return typeof x === 'object' && x !== null && 'interval' in x && 't' in x;
}

function isSnapshot(x: unknown): x is Snapshot {
  return typeof x === 'object' && x !== null && 'seq' in x && 'last' in x;
}

/** The handshake's `auth` for `token`: `{token}`, or nothing without a key. */
export function handshakeAuth(token: string | null): { token?: string } {
  return token ? { token } : {};
}

/** A connect_error the server sent because of the credentials (its `data.code`), with its message. */
export function unauthorizedReason(err: Error & { data?: unknown }): string | null {
  const data = err.data as { code?: unknown; message?: unknown } | null | undefined;
  if (typeof data !== 'object' || data === null || data.code !== 'UNAUTHORIZED') return null;
  return typeof data.message === 'string' && data.message ? data.message : err.message;
}

/** The serving node a subscribe acknowledgement names (cluster mode), or null. */
export function nodeOf(ack: { node?: unknown }): string | null {
  return typeof ack.node === 'string' && ack.node.trim() !== '' ? ack.node.trim() : null;
}

export function createStream(opts: StreamOptions): MarketStream {
  const h = opts.handlers;
  const creds = opts.credentials;
  /** The key the latest handshake carried: the server's verdict is about that one. */
  let sentToken: string | null = null;
  const socketOpts = {
    transports: ['websocket', 'polling'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 3_000,
    // A function, so each (re)connect carries the key held at that moment.
    auth: (cb: (data: object) => void) => {
      sentToken = creds?.token() ?? null;
      cb(handshakeAuth(sentToken));
    },
  };
  const socket: TbSocket = opts.url ? io(opts.url, socketOpts) : io(socketOpts);
  /** Symbols the page wants, and the ones sent to the server on this connection, with their mode. */
  const wanted = new Set<string>();
  const active = new Map<string, StreamMode>();
  let focus: string | null = null;
  let candleWanted: CandleSelection | null = null;
  let candleActive: CandleSelection | null = null;
  let everConnected = false;
  let closed = false;
  const encoding = opts.encoding ?? 'compact';
  const decoder = new CompactTickDecoder();

  const modeOf = (symbol: string): StreamMode =>
    opts.mode === 'full' || symbol === focus ? 'full' : 'conflated';

  async function subscribeTicks(symbols: string[], mode: StreamMode, resume: boolean) {
    for (let i = 0; i < symbols.length; i += MAX_SYMBOLS_PER_REQUEST) {
      const chunk = symbols.slice(i, i + MAX_SYMBOLS_PER_REQUEST);
      const req: SubscribeRequest = { symbols: chunk, channel: 'ticks', mode };
      if (mode === 'conflated' && opts.throttleMs !== undefined) req.throttleMs = opts.throttleMs;
      if (encoding === 'compact') req.encoding = 'compact';
      if (resume && mode === 'full') {
        // Only full-mode ticks can be resumed; the server replays them before its answer.
        const points = opts.resumePoints();
        const picked: Record<string, number> = {};
        for (const s of chunk) if (points[s] !== undefined) picked[s] = points[s];
        if (Object.keys(picked).length) req.resume = picked;
      }
      const previous = new Map(chunk.map((s) => [s, active.get(s)]));
      for (const s of chunk) active.set(s, mode);
      // Conflated ticks may arrive before the answer: stop treating seq jumps as gaps now.
      if (mode === 'conflated') h.modes(chunk, mode);
      try {
        const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(EVENTS.subscribe, req);
        if (!ack.ok) {
          for (const [s, m] of previous) {
            if (m) active.set(s, m);
            else active.delete(s);
          }
          h.subscribeFailed(`Could not subscribe to ${chunk.join(', ')}: ${ack.error.message}`);
          continue;
        }
        if (socket.connected) h.node(nodeOf(ack));
        h.snapshots(ack.snapshot.filter(isSnapshot));
        if (mode === 'full') h.modes(chunk, mode);
        if (ack.unresumable?.length) h.unresumable(ack.unresumable);
      } catch {
        if (!socket.connected) return; // the next connect subscribes again
        for (const s of chunk) active.delete(s);
        h.subscribeFailed('The server did not confirm the subscription in time.');
      }
    }
  }

  async function unsubscribeTicks(symbols: string[]): Promise<void> {
    for (const s of symbols) active.delete(s);
    try {
      await socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck(EVENTS.unsubscribe, { symbols, channel: 'ticks' });
    } catch {
      // Unconfirmed: stray ticks for a removed symbol are ignored by the store anyway.
    }
  }

  /** Brings the server's tick subscriptions in line with what the page wants. */
  function syncTicks(resume: boolean): void {
    if (!socket.connected) return;
    const remove = [...active.keys()].filter((s) => !wanted.has(s));
    if (remove.length) void unsubscribeTicks(remove);
    const byMode: Record<StreamMode, string[]> = { full: [], conflated: [] };
    for (const s of wanted) {
      const m = modeOf(s);
      if (active.get(s) !== m) byMode[m].push(s);
    }
    if (byMode.conflated.length) void subscribeTicks(byMode.conflated, 'conflated', resume);
    if (byMode.full.length) void subscribeTicks(byMode.full, 'full', resume);
  }

  async function subscribeCandles(sel: CandleSelection): Promise<void> {
    try {
      const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(EVENTS.subscribe, {
        symbols: [sel.symbol],
        channel: 'candles',
        interval: sel.interval,
      });
      if (!ack.ok) {
        if (sameSel(sel, candleWanted)) h.candleStatus(sel, false, ack.error.message);
        return;
      }
      if (socket.connected) h.node(nodeOf(ack));
      // A server without the candles channel answers as if for ticks: check what it confirmed.
      const confirmed = ack.subscriptions.some(
        (s: Subscription) =>
          s.channel === 'candles' && s.symbol === sel.symbol && s.interval === sel.interval,
      );
      if (!confirmed) {
        if (sameSel(sel, candleWanted)) {
          h.candleStatus(sel, false, 'the server does not stream candles');
        }
        return;
      }
      if (!sameSel(sel, candleWanted) || !socket.connected) {
        // The trader moved on while this was in flight.
        void unsubscribeCandles(sel);
        return;
      }
      candleActive = sel;
      h.candleStatus(sel, true);
      const open = ack.snapshot.filter(isLiveCandle);
      if (open.length) h.candles(open);
    } catch {
      if (socket.connected && sameSel(sel, candleWanted)) {
        h.candleStatus(sel, false, 'the server did not confirm the candle subscription');
      }
    }
  }

  async function unsubscribeCandles(sel: CandleSelection): Promise<void> {
    try {
      await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(EVENTS.unsubscribe, {
        symbols: [sel.symbol],
        channel: 'candles',
        interval: sel.interval,
      });
    } catch {
      // Unconfirmed: the chart ignores candles for anything but its selection.
    }
  }

  socket.on('connect', () => {
    const reconnect = everConnected;
    everConnected = true;
    creds?.accepted(sentToken);
    active.clear();
    candleActive = null;
    h.connected(reconnect);
    syncTicks(reconnect);
    if (candleWanted) void subscribeCandles(candleWanted);
  });
  socket.on('disconnect', (reason) => {
    active.clear();
    candleActive = null;
    h.disconnected(reason);
    // The server let go of us deliberately (a restart, say): Socket.IO leaves that to the app.
    if (reason === 'io server disconnect' && !closed) socket.connect();
  });
  socket.on('connect_error', (err) => {
    const refused = unauthorizedReason(err);
    if (refused === null) return h.connectError(err.message);
    // The same key would be refused again: stop (Socket.IO already does for a middleware refusal;
    // this makes sure) and wait for reconnect() with a new one.
    socket.disconnect();
    creds?.rejected(sentToken);
    h.unauthorized(refused);
  });
  socket.on(EVENTS.ticks, (ticks) => h.ticks(ticks));
  socket.on(EVENTS.compactTicks, (frame) => {
    let ticks: Tick[];
    try {
      ticks = decoder.decode(frame);
    } catch (err) {
      if (!(err instanceof CompactFrameError)) throw err;
      // Not expected from the server; start every symbol again from a keyframe, resuming by seq.
      decoder.forget();
      active.clear();
      syncTicks(true);
      return;
    }
    if (ticks.length) h.ticks(ticks);
  });
  socket.on(EVENTS.candles, (candles) => h.candles(candles));
  socket.on(EVENTS.notice, (notice) => {
    if (typeof notice !== 'object' || notice === null) return; // nothing to go on
    switch (notice.type) {
      case 'conflated':
        // The server slowed this connection down: those symbols now arrive conflated. They stay
        // so until the trader next changes the watchlist or selection (or the socket
        // reconnects), so a slow link is not pushed straight back into what it could not keep
        // up with.
        for (const s of notice.symbols) if (active.has(s)) active.set(s, 'conflated');
        h.modes(notice.symbols, 'conflated');
        break;
      case 'shutdown':
      case 'disconnecting':
        // The disconnect handler reconnects; the page only has to say so.
        break;
      case 'stalled':
      case 'recovered':
        // Cluster mode: the socket stays up and the server keeps its subscriptions, so there is
        // nothing to resend; the ticks continue with the next seq. The page only has to say so.
        break;
      default:
        // A notice type this page does not know: passed on, and ignored there.
        break;
    }
    h.notice(notice);
  });

  return {
    setSymbols(symbols) {
      wanted.clear();
      for (const s of symbols) wanted.add(s);
      syncTicks(false);
    },
    setFocus(symbol) {
      if (symbol === focus) return;
      focus = symbol;
      syncTicks(false);
    },
    setCandles(sel) {
      if (sameSel(sel, candleWanted)) return;
      candleWanted = sel ? { ...sel } : null;
      if (!socket.connected) return;
      if (candleActive) void unsubscribeCandles(candleActive);
      candleActive = null;
      if (candleWanted) void subscribeCandles(candleWanted);
    },
    get isConnected() {
      return socket.connected;
    },
    reconnect() {
      // active: Socket.IO is already retrying, and the next attempt reads the new key.
      if (!closed && !socket.connected && !socket.active) socket.connect();
    },
    close() {
      closed = true;
      socket.close();
    },
  };
}
