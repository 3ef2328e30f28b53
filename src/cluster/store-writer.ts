// Cluster mode: the one writer of the shared store. It reads the tick stream through a durable
// consumer, keeps its own candle aggregator, writes ticks and candle rows in one transaction per
// batch, fenced by its lease term, and only then acknowledges the stream up to the batch's last
// message. What the stream accepted is therefore stored exactly once: a batch that failed is
// retried, a message delivered again (after a crash or a store outage) is skipped by its seq, and
// a former writer that wakes up is refused by the store (StoreFencedError).
import { Logger } from '@nestjs/common';
import { INTERVALS, type Tick } from '../contracts';
import { CandleAggregator } from '../market-data/candles/candle-aggregator';
import {
  candleRowKey,
  StoreFencedError,
  type CandleRow,
  type QuoteStore,
} from '../storage/quote-store';
import type { StoreWriteHealth } from '../common/readiness';
import { decodeBusTick } from './fenced-publisher';
import type { Consuming, JetStreamTickConsumers } from './jetstream/jetstream-tick.consumers';

/** What the writer reads the stream through: the durable consumer (a fake in specs). */
export type DurableTicks = Pick<JetStreamTickConsumers, 'durable'>;

/** Messages out unacknowledged at most: during a store outage the stream holds the rest. */
const MAX_UNACKED = 100_000;
/** A message not acknowledged this long is delivered again (and skipped if already held). */
const ACK_WAIT_MS = 120_000;

export interface StoreWriterOptions {
  term: number;
  flushMs: number;
  symbols: readonly string[];
  /** The store refused a batch: a writer with a higher term has written. */
  onFenced: () => void;
  /** Where failed writes and the backlog are reported to /api/health/ready. */
  health?: StoreWriteHealth;
}

export class StoreWriter {
  private readonly logger = new Logger(StoreWriter.name);
  private readonly aggregator = new CandleAggregator();
  /** Per symbol, the last seq held: stored, or in the batch being built. */
  private readonly held = new Map<string, number>();
  private ticks: Tick[] = [];
  private rows = new Map<string, CandleRow>();
  /** Acknowledges the highest stream sequence the batch holds (and everything before it). */
  private ack: (() => void) | undefined;
  private ackSeq = 0;
  private lastTs = 0;
  private writing: Promise<void> | undefined;
  private consuming: Consuming | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;
  private fenced = false;
  private unwatchBacklog: (() => void) | undefined;
  written = 0;

  constructor(
    private readonly store: QuoteStore,
    private readonly consumers: DurableTicks,
    private readonly options: StoreWriterOptions,
  ) {}

  async start(): Promise<void> {
    // An empty batch with this term first: no older writer's batch can commit after it.
    await this.store.write({ ticks: [], candles: [], writerTerm: this.options.term });
    await this.store.readConsistent(async (view) => {
      const last = await view.lastTicks();
      for (const symbol of this.options.symbols) {
        const tick = last.get(symbol);
        if (tick) this.held.set(symbol, tick.seq);
        // Whatever its age: ticks the last writer never wrote may still belong to its bucket.
        // The symbol's first tick decides whether it continues (CandleAggregator.seed).
        for (const interval of INTERVALS) {
          const [latest] = await view.candles(symbol, interval, { order: 'latest', limit: 1 });
          if (latest) this.aggregator.seed(symbol, interval, latest);
        }
      }
    });
    if (this.stopped) return;
    const consuming = await this.consumers.durable((m, ack) => this.onMessage(m.seq, m.data, ack), {
      maxPending: MAX_UNACKED,
      ackWaitMs: ACK_WAIT_MS,
    });
    // Stopped while it was starting (the lease was lost meanwhile): never start writing.
    if (this.stopped) {
      consuming.stop();
      return;
    }
    this.consuming = consuming;
    this.unwatchBacklog = this.options.health?.watchBacklog(() => this.ticks.length);
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  /** Writes and acknowledges what it holds, then stops reading. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.halt();
    await this.writing;
    await this.flush();
  }

  private halt(): void {
    this.stopped = true;
    this.consuming?.stop();
    this.unwatchBacklog?.();
    this.options.health?.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private onMessage(streamSeq: number, data: Uint8Array, ack: () => void): void {
    if (streamSeq > this.ackSeq) {
      this.ack = ack;
      this.ackSeq = streamSeq;
    }
    let tick: Tick;
    try {
      tick = decodeBusTick(data).tick;
    } catch {
      return; // not a tick: acknowledged with the batch, never stored
    }
    const held = this.held.get(tick.symbol) ?? 0;
    if (tick.seq <= held) return;
    this.held.set(tick.symbol, tick.seq);
    this.aggregator.apply(tick);
    this.ticks.push(tick);
    if (tick.ts > this.lastTs) this.lastTs = tick.ts;
  }

  /** One batch: ticks and the candle rows they changed, then the ack up to its last message. */
  flush(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.fenced) return Promise.resolve();
    // Candles close by the stream's own time, so the stored rows follow from the ticks alone.
    if (this.lastTs) this.aggregator.advance(this.lastTs);
    for (const row of this.aggregator.takeRows()) this.rows.set(candleRowKey(row), row);
    const ticks = this.ticks;
    const rows = this.rows;
    const ack = this.ack;
    if (!ticks.length && !rows.size && !ack) return Promise.resolve();
    this.ticks = [];
    this.rows = new Map();
    this.ack = undefined; // ackSeq stays: a redelivered older message must not replace a newer ack
    this.writing = this.store
      .write({ ticks, candles: [...rows.values()], writerTerm: this.options.term })
      .then(() => {
        ack?.();
        this.options.health?.succeeded();
        this.written += ticks.length;
        if (this.failing) this.logger.log('Store writes again: catching up from the stream');
        this.failing = false;
      })
      .catch((err: unknown) => {
        if (err instanceof StoreFencedError) {
          // For good: the stream keeps these ticks for the writer with the higher term.
          this.logger.warn(`Store writer fenced: ${err.message}`);
          this.fenced = true;
          this.halt();
          this.options.onFenced();
          return;
        }
        if (!this.stopped) this.options.health?.failed(err);
        if (!this.failing) {
          this.logger.error(
            `Store write failed, will retry; the stream keeps the ticks meanwhile: ${(err as Error).message}`,
          );
        }
        this.failing = true;
        this.ticks = ticks.concat(this.ticks);
        for (const [key, row] of this.rows) rows.set(key, row);
        this.rows = rows;
        this.ack ??= ack; // a newer message's ack, if one came meanwhile, covers this one
      })
      .finally(() => (this.writing = undefined));
    return this.writing;
  }
}
