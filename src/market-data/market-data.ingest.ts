// Takes ticks from the PriceFeed to the live state (snapshot book, recent ticks, candle aggregator)
// and the bus, and writes them to the store in batches, retrying a failed write.
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ClusterView, Tick } from '../contracts';
import { Readiness, StoreWriteHealth, maxWriteBacklog } from '../common/readiness';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { symbolTickRate } from '../instruments/catalog';
import { InstrumentsService } from '../instruments/instruments.service';
import { QuoteStore, candleRowKey, type SeqReservation } from '../storage/quote-store';
import type { CandleAggregator } from './candles/candle-aggregator';
import { HistoryBackfill } from './history-backfill';
import { MarketDataBus } from './market-data.bus';
import { MarketDataSource } from './market-data.source';
import { MarketDataState, seedState } from './market-data.state';
import { PriceFeed } from './price-feed';
import { SeqReservations, reservationBlock } from './seq-reservations';

/** How often closed and changed candles are pushed to the gateways. */
const CANDLE_PUBLISH_MS = 200;
/** Ticks held in memory while the store refuses writes, before the oldest are dropped. */
const MAX_UNWRITTEN_TICKS = 2_000_000;

@Injectable()
export class MarketDataIngest
  extends MarketDataSource
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(MarketDataIngest.name);
  private readonly aggregator: CandleAggregator;
  private writing: Promise<void> | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribeFeed: (() => void) | undefined;
  private stopped = false;
  private tickCount = 0;
  private clients: () => number = () => 0;
  /** Seqs reserved in the store ahead of the feed, extended by flush(). */
  private readonly seqs: SeqReservations;
  /** Whether this outage of the store has been reported as pausing symbols. */
  private pauseReported = false;
  /** Tells /api/health/ready when the store refuses writes or falls behind. */
  private readonly writeHealth: StoreWriteHealth;
  private readonly lastIssued = (symbol: string): number | undefined =>
    this.state.book.lastTick(symbol)?.seq;

  constructor(
    private readonly state: MarketDataState,
    private readonly feed: PriceFeed,
    private readonly history: HistoryBackfill,
    private readonly bus: MarketDataBus,
    private readonly store: QuoteStore,
    private readonly instruments: InstrumentsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly readiness: Readiness,
  ) {
    super();
    this.aggregator = state.aggregator;
    this.writeHealth = new StoreWriteHealth(readiness, maxWriteBacklog(config.tickRate));
    this.writeHealth.watchBacklog(() => this.state.unwrittenTicks.length);
    const entries = instruments.entries();
    this.seqs = new SeqReservations(
      new Map(
        entries.map((e) => [
          e.symbol,
          reservationBlock(symbolTickRate(e, config.tickRate, entries)),
        ]),
      ),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.backfill && (await this.store.isEmpty())) await this.backfill();
    const last = await this.store.lastTicks();
    const limits = this.seqs.start(last, await this.store.reservations());
    await this.seedFromStore(last);
    this.unsubscribeFeed = this.feed.subscribe((tick) => this.onTick(tick));
    // The feed issues nothing until the first reservation is written, just below.
    this.feed.start(last, limits);
    this.every(CANDLE_PUBLISH_MS, () => this.publishCandles());
    this.every(this.config.flushMs, () => void this.flush());
    await this.flush();
    this.logger.log(
      `Price feed started on the ${this.store.kind} store (${last.size} symbols continue from stored ticks)`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.feed.stop();
    this.unsubscribeFeed?.();
    for (const t of this.timers) clearInterval(t);
    this.publishCandles();
    await this.writing;
    await this.flush();
    // Down to the last seq issued: a clean restart continues without a gap. Had the last flush
    // failed, its seqs are still never reused: the next run continues after them.
    await this.store
      .releaseReservations(this.seqs.release(this.lastIssued))
      .catch((err: unknown) =>
        this.logger.warn(
          `Seq reservations not released (the next run skips them): ${(err as Error).message}`,
        ),
      );
    await this.store.close();
    this.logger.log('Stopped: every tick and candle written');
  }

  /** The per-tick path: in-place updates and one push per consumer, nothing else. */
  private onTick(tick: Tick): void {
    this.tickCount++;
    this.state.apply(tick);
    this.state.unwrittenTicks.push(tick);
    this.bus.publishTick(tick);
  }

  /** One process: it is the whole deployment, and runs the feed. */
  cluster(): Promise<ClusterView> {
    const self = {
      id: this.config.nodeId,
      clients: this.clients(),
      lag: 0,
      feed: true,
      ready: this.readiness.status().ready,
      seenAt: this.clock.now(),
    };
    return Promise.resolve({ mode: 'single', node: self.id, leader: self.id, nodes: [self] });
  }

  countClientsWith(count: () => number): void {
    this.clients = count;
  }

  stats(): Record<string, number> {
    return {
      ticks: this.tickCount,
      unwrittenTicks: this.state.unwrittenTicks.length,
      unwrittenCandles: this.state.unwrittenRows.size,
    };
  }

  /**
   * Writes what is buffered in one batch, off the tick path; a failed write is kept and retried.
   * The batch also extends the seq reservation of every symbol running low, and only once it is
   * written may the feed issue those seqs.
   */
  flush(): Promise<void> {
    if (this.writing) return this.writing;
    const state = this.state;
    for (const row of this.aggregator.takeRows()) state.unwrittenRows.set(candleRowKey(row), row);
    const ticks = state.unwrittenTicks;
    const rows = state.unwrittenRows;
    const reservations = this.seqs.due(this.lastIssued);
    if (!ticks.length && !rows.size && !reservations.length) return Promise.resolve();
    state.unwrittenTicks = [];
    state.unwrittenRows = new Map();
    state.writingRows = rows;
    this.writing = this.store
      .write({ ticks, candles: [...rows.values()], reservations })
      .then(() => {
        this.writeHealth.succeeded();
        this.reserved(reservations);
      })
      .catch((err: unknown) => {
        this.writeHealth.failed(err);
        this.logger.error(`Store write failed, will retry: ${(err as Error).message}`);
        this.reportPaused();
        state.unwrittenTicks = ticks.concat(state.unwrittenTicks);
        if (state.unwrittenTicks.length > MAX_UNWRITTEN_TICKS) {
          const drop = state.unwrittenTicks.length - MAX_UNWRITTEN_TICKS;
          this.logger.error(`Store unavailable: dropping the ${drop} oldest unwritten ticks`);
          state.unwrittenTicks.splice(0, drop);
        }
        for (const [key, row] of rows)
          if (!state.unwrittenRows.has(key)) state.unwrittenRows.set(key, row);
      })
      .finally(() => {
        state.writingRows = undefined;
        this.writing = undefined;
      });
    return this.writing;
  }

  /** The reservations are in the store: the feed may issue their seqs. */
  private reserved(written: readonly SeqReservation[]): void {
    for (const r of this.seqs.confirm(written)) this.feed.allow(r.symbol, r.through);
    if (this.pauseReported) {
      this.pauseReported = false;
      this.logger.log('Store writes again: every symbol issues seqs again');
    }
  }

  /** Once per outage: symbols that used up their reservation wait rather than reuse a seq. */
  private reportPaused(): void {
    if (this.pauseReported) return;
    const paused = this.seqs.paused(this.lastIssued);
    if (!paused.length) return;
    this.pauseReported = true;
    this.logger.error(
      `Store refuses writes: ${paused.length} symbol(s) paused at the end of their reserved seqs (${paused.slice(0, 5).join(', ')}${paused.length > 5 ? ', ...' : ''}) until a write succeeds`,
    );
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private publishCandles(): void {
    this.aggregator.advance(this.clock.now());
    const updates = this.aggregator.takeUpdates();
    if (updates.length) this.bus.publishCandles(updates);
  }

  private async backfill(): Promise<void> {
    const started = Date.now();
    const rows = await this.history.fill(this.clock.now());
    this.logger.log(`History backfilled: ${rows} candles in ${Date.now() - started} ms`);
  }

  /** After a restart or a backfill: day figures for snapshots, open candles for the aggregator. */
  private seedFromStore(last: ReadonlyMap<string, Tick>): Promise<void> {
    // The ring holds contiguous seqs: a stored tick the feed continues after a gap from stays out.
    return seedState(this.state, this.store, this.instruments.entries(), this.clock.now(), last, {
      ring: (tick) => tick.seq === this.seqs.startAfter(tick.symbol),
    });
  }
}
