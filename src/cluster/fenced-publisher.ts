// Publishes the feed's ticks to JetStream so that only one node's ticks are ever stored: each
// publish names the subject's last stream sequence it knows of, and a refusal means another node
// has published, so this one stops for good. Not wired into the app yet: the embedded default (one
// process, no NATS) does not use it.
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
  | 'unavailable';

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
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeTick(tick: Tick): Uint8Array {
  return encoder.encode(JSON.stringify(tick));
}

export function decodeTick(data: Uint8Array): Tick {
  return JSON.parse(decoder.decode(data)) as Tick;
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
    for (const symbol of symbols) {
      const subject = tickSubject(symbol);
      const stored = await this.stream.lastBySubject(subject);
      this.lanes.set(symbol, {
        subject,
        lastSeq: stored?.seq ?? 0,
        tail: Promise.resolve(),
        pending: 0,
      });
      last.set(symbol, stored ? decodeTick(stored.data) : null);
    }
    return last;
  }

  /** Resolves with the ack once stored; rejects with FencedError once the publisher has stopped. */
  publish(tick: Tick): Promise<PublishAck> {
    if (this.fence) return Promise.reject(this.fence);
    const lane = this.lanes.get(tick.symbol);
    if (!lane) return Promise.reject(new Error(`${tick.symbol} was not taken over`));
    if (lane.pending >= this.maxPending) {
      return Promise.reject(new PublishBacklogError(tick.symbol, this.maxPending));
    }
    lane.pending++;
    const data = encodeTick(tick);
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
