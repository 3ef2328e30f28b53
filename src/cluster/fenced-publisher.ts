// Publishes the feed's ticks to JetStream so that only one node's ticks are ever stored: each
// publish names the subject's last stream sequence it knows of, and a refusal means another node
// has published, so this one stops for good. Cluster mode only (ClusterIngest runs it on the node
// that holds the feed lease).
//
// One symbol's publishes are strictly sequential: the expected last subject sequence of the next
// tick is the stream sequence of this one, which only its ack tells (the stream's sequence is
// shared by all subjects, so it cannot be predicted). Pipelining would need one stream per symbol;
// a symbol's few ticks a second and a sub-millisecond ack on a LAN do not call for that. Different
// symbols run independently.
import type { Tick } from '../contracts/market';
import { FencedError, PublishBacklogError, WrongLastSequenceError } from './cluster.errors';
import type { PublishAck, TickStream } from './tick-stream';

export const TICK_SUBJECT_PREFIX = 'ticks.';

/** A symbol's subject, `ticks.<SYMBOL>`; the one place that builds it. */
export function tickSubject(symbol: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(symbol)) throw new RangeError(`not a subject token: ${symbol}`);
  return TICK_SUBJECT_PREFIX + symbol;
}

/** The Nats-Msg-Id of a tick, `<symbol>:<seq>`: a retried publish of it is stored once. */
export function tickMsgId(tick: Pick<Tick, 'symbol' | 'seq'>): string {
  return `${tick.symbol}:${tick.seq}`;
}

export type FenceReason =
  /** The subject's last sequence was not ours: another node has published. */
  | 'wrong-last-sequence'
  /** The tick's message id is already stored with other content: another node published it. */
  | 'foreign-duplicate'
  /** Every attempt failed without an answer, so whether the tick is stored is unknown. */
  | 'unavailable'
  /** The node's lease ended (checked by its own clock before each send, e.g. after a pause). */
  | 'lease-lost';

export interface FenceEvent {
  symbol: string;
  reason: FenceReason;
  error?: unknown;
}

export interface FencedPublisherOptions {
  /** Called once, when the publisher stops; it publishes nothing afterwards. */
  onFenced?: (event: FenceEvent) => void;
  /** Attempts per tick, all with the same message id and expected sequence. */
  maxAttempts?: number;
  /** Ticks of one symbol that may wait for acks before `publish` refuses more. */
  maxPending?: number;
  /**
   * Asked before every send: false stops the publisher. A process that was paused past its
   * lease's TTL may find sends queued before the pause; its own clock says the lease is over,
   * so they are never sent (the fence would stop them only once another node had published).
   */
  holdsLease?: () => boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A tick as the bus carries it: the public tick, and the feed's exact state after it if known. */
export interface BusTick {
  tick: Tick;
  /** The model's unrounded mid after the tick (see TickListener), for the next feed node. */
  mid?: number;
}

/** The tick's JSON, with `"mid"` appended when known. */
export function encodeTick(tick: Tick, mid?: number): Uint8Array {
  const json = JSON.stringify(tick);
  if (mid === undefined || !Number.isFinite(mid)) return encoder.encode(json);
  return encoder.encode(`${json.slice(0, -1)},"mid":${JSON.stringify(mid)}}`);
}

/**
 * Decodes a bus message into a tick with the contract's fields in the contract's order, so every
 * node re-encodes it to the same bytes. Throws TypeError on a message that is not a tick.
 */
export function decodeBusTick(data: Uint8Array): BusTick {
  const o = JSON.parse(decoder.decode(data)) as Record<string, unknown>;
  const tick = {
    symbol: o.symbol,
    seq: o.seq,
    ts: o.ts,
    bid: o.bid,
    ask: o.ask,
    bidSize: o.bidSize,
    askSize: o.askSize,
    last: o.last,
    size: o.size,
    volume: o.volume,
  } as Tick;
  if (
    typeof tick.symbol !== 'string' ||
    !Number.isSafeInteger(tick.seq) ||
    typeof tick.ts !== 'number' ||
    typeof tick.bid !== 'number' ||
    typeof tick.ask !== 'number' ||
    typeof tick.last !== 'number' ||
    typeof tick.volume !== 'number'
  ) {
    throw new TypeError('not a tick');
  }
  return typeof o.mid === 'number' ? { tick, mid: o.mid } : { tick };
}

export function decodeTick(data: Uint8Array): Tick {
  return decodeBusTick(data).tick;
}

interface Lane {
  subject: string;
  /** Stream sequence of the subject's last message as far as this node knows; 0 for none. */
  lastSeq: number;
  tail: Promise<unknown>;
  pending: number;
}

export class FencedTickPublisher {
  private readonly lanes = new Map<string, Lane>();
  private fence: FencedError | null = null;
  private readonly mids = new Map<string, number>();
  private readonly maxAttempts: number;
  private readonly maxPending: number;

  constructor(
    private readonly stream: TickStream,
    private readonly options: FencedPublisherOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.maxPending = options.maxPending ?? 1_000;
  }

  get fenced(): boolean {
    return this.fence !== null;
  }

  /**
   * Reads each symbol's last stored tick, the base of this node's fencing. Returns them so the
   * feed continues after them (its next tick's seq is the last one's + 1).
   */
  async takeOver(symbols: readonly string[]): Promise<Map<string, Tick | null>> {
    const last = new Map<string, Tick | null>();
    this.mids.clear();
    for (const symbol of symbols) {
      const subject = tickSubject(symbol);
      const stored = await this.stream.lastBySubject(subject);
      this.lanes.set(symbol, {
        subject,
        lastSeq: stored?.seq ?? 0,
        tail: Promise.resolve(),
        pending: 0,
      });
      const bus = stored ? decodeBusTick(stored.data) : null;
      last.set(symbol, bus?.tick ?? null);
      if (bus?.mid !== undefined) this.mids.set(symbol, bus.mid);
    }
    return last;
  }

  /** The exact mids carried by the last ticks takeOver() read, for the symbols that had one. */
  lastMids(): ReadonlyMap<string, number> {
    return this.mids;
  }

  /** Resolves once every publish it was given has been answered or given up. */
  settled(): Promise<void> {
    return Promise.all([...this.lanes.values()].map((lane) => lane.tail)).then(() => undefined);
  }

  /** Resolves with the ack once stored; rejects with FencedError once the publisher has stopped. */
  publish(tick: Tick, mid?: number): Promise<PublishAck> {
    if (this.fence) return Promise.reject(this.fence);
    const lane = this.lanes.get(tick.symbol);
    if (!lane) return Promise.reject(new Error(`${tick.symbol} was not taken over`));
    if (lane.pending >= this.maxPending) {
      return Promise.reject(new PublishBacklogError(tick.symbol, this.maxPending));
    }
    lane.pending++;
    const data = encodeTick(tick, mid);
    const sent = lane.tail.then(() => this.send(lane, tick, data));
    lane.tail = sent.then(
      () => (lane.pending--, undefined),
      () => (lane.pending--, undefined),
    );
    return sent;
  }

  private async send(lane: Lane, tick: Tick, data: Uint8Array): Promise<PublishAck> {
    const msgId = tickMsgId(tick);
    let lastError: unknown;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (this.fence) throw this.fence;
      if (this.options.holdsLease && !this.options.holdsLease()) {
        throw this.stop(tick.symbol, 'lease-lost');
      }
      let ack: PublishAck;
      try {
        ack = await this.stream.publish(lane.subject, data, {
          expectedLastSubjectSequence: lane.lastSeq,
          msgId,
        });
      } catch (error) {
        if (error instanceof WrongLastSequenceError) {
          throw this.stop(tick.symbol, 'wrong-last-sequence', error);
        }
        lastError = error;
        continue;
      }
      // A duplicate is ours only if it is our own earlier attempt: same content, still the last.
      if (ack.duplicate && !(await this.isStoredLast(lane.subject, ack.seq, data))) {
        throw this.stop(tick.symbol, 'foreign-duplicate');
      }
      lane.lastSeq = ack.seq;
      return ack;
    }
    throw this.stop(tick.symbol, 'unavailable', lastError);
  }

  private async isStoredLast(subject: string, seq: number, data: Uint8Array): Promise<boolean> {
    try {
      const last = await this.stream.lastBySubject(subject);
      return last !== null && last.seq === seq && sameBytes(last.data, data);
    } catch {
      return false;
    }
  }

  private stop(symbol: string, reason: FenceReason, error?: unknown): FencedError {
    if (this.fence) return this.fence;
    this.fence = new FencedError(`${symbol}: ${reason}`);
    this.options.onFenced?.({ symbol, reason, error });
    return this.fence;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
