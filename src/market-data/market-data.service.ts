// Takes ticks from the PriceFeed to the snapshot book, the candle aggregator, the store and the bus.
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  INTERVALS,
  INTERVAL_MS,
  type Candle,
  type Interval,
  type LiveCandle,
  type Snapshot,
  type Tick,
  utcDay,
} from '../contracts';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { InstrumentsService } from '../instruments/instruments.service';
import { QuoteStore, type CandleRow, type TickQuery } from '../storage/quote-store';
import { CandleAggregator } from './candles/candle-aggregator';
import { MarketDataBus } from './market-data.bus';
import { PriceFeed } from './price-feed';
import { RecentTicks } from './recent-ticks';
import { generateHistory } from './simulator/history-backfill';
import { SnapshotBook } from './snapshot-book';

/** How often closed and changed candles are pushed to the gateways. */
const CANDLE_PUBLISH_MS = 200;
const PRUNE_EVERY_MS = 60_000;
/** Retention of the finer candle intervals; coarser ones are kept forever. */
const CANDLE_RETENTION_MS: Partial<Record<Interval, number>> = {
  '1s': 24 * 3_600_000,
  '1m': 31 * 86_400_000,
};
/** Ticks held in memory while the store refuses writes, before the oldest are dropped. */
const MAX_UNWRITTEN_TICKS = 2_000_000;

function rowKey(symbol: string, interval: Interval, t: number): string {
  return `${symbol}|${interval}|${t}`;
}

@Injectable()
export class MarketDataService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MarketDataService.name);
  private readonly book = new SnapshotBook();
  private readonly recent = new RecentTicks();
  private readonly aggregator = new CandleAggregator();
  private unwrittenTicks: Tick[] = [];
  /** Candle rows taken from the aggregator and not yet confirmed written. */
  private unwrittenRows = new Map<string, CandleRow>();
  private writing: Promise<void> | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribeFeed: (() => void) | undefined;
  private stopped = false;
  private tickCount = 0;

  constructor(
    private readonly feed: PriceFeed,
    private readonly bus: MarketDataBus,
    private readonly store: QuoteStore,
    private readonly instruments: InstrumentsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.backfill && (await this.store.isEmpty())) await this.backfill();
    const last = await this.store.lastTicks();
    await this.seedFromStore(last);
    this.unsubscribeFeed = this.feed.subscribe((tick) => this.onTick(tick));
    this.feed.start(last);
    this.every(CANDLE_PUBLISH_MS, () => this.publishCandles());
    this.every(this.config.flushMs, () => void this.flush());
    this.every(PRUNE_EVERY_MS, () => void this.prune());
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
    await this.store.close();
    this.logger.log('Stopped: every tick and candle written');
  }

  /** The per-tick path: in-place updates and one push per consumer, nothing else. */
  private onTick(tick: Tick): void {
    this.tickCount++;
    this.book.apply(tick);
    this.recent.push(tick);
    this.aggregator.apply(tick);
    this.unwrittenTicks.push(tick);
    this.bus.publishTick(tick);
  }

  stats(): Record<string, number> {
    return {
      ticks: this.tickCount,
      unwrittenTicks: this.unwrittenTicks.length,
      unwrittenCandles: this.unwrittenRows.size,
    };
  }

  snapshot(symbol: string): Snapshot | undefined {
    return this.book.get(symbol);
  }

  lastTick(symbol: string): Tick | undefined {
    return this.book.lastTick(symbol);
  }

  /** The open candle of a symbol and interval, as the candles channel sends it. */
  openCandle(symbol: string, interval: Interval): LiveCandle | undefined {
    return this.aggregator.open(symbol, interval);
  }

  /** Lowest seq of a symbol's ticks held in memory, or undefined when none are. */
  recentFirstSeq(symbol: string): number | undefined {
    return this.recent.firstSeq(symbol);
  }

  /** A symbol's ticks held in memory with seq > afterSeq, in seq order. */
  recentAfter(symbol: string, afterSeq: number): Tick[] {
    return this.recent.after(symbol, afterSeq);
  }

  /** Stored ticks merged with those still in memory, so a query sees every tick up to now. */
  async ticks(symbol: string, query: TickQuery): Promise<Tick[]> {
    const stored = await this.store.ticks(symbol, query);
    const lastStored = stored.length ? stored[stored.length - 1].seq : (query.afterSeq ?? 0);
    const fresh = this.recent
      .after(symbol, Math.max(lastStored, query.afterSeq ?? 0))
      .filter((t) => t.ts >= (query.fromTs ?? -Infinity) && t.ts < (query.toTs ?? Infinity));
    if (query.order === 'latest') {
      // The newest may be in memory only: merge both, newest `limit` win.
      const bySeq = new Map<number, Tick>();
      for (const t of stored) bySeq.set(t.seq, t);
      for (const t of this.recent.inRange(symbol, query.fromTs, query.toTs)) {
        if (query.afterSeq === undefined || t.seq > query.afterSeq) bySeq.set(t.seq, t);
      }
      const all = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
      return all.slice(Math.max(0, all.length - query.limit));
    }
    return stored.concat(fresh).slice(0, query.limit);
  }

  /** Lowest seq a resume can start from (store or memory), or undefined when nothing is kept. */
  async firstSeq(symbol: string): Promise<number | undefined> {
    const stored = await this.store.firstSeq(symbol);
    return stored ?? this.recent.firstSeq(symbol);
  }

  /** Stored candles overlaid with the ones not yet written and the open one. */
  async candles(
    symbol: string,
    interval: Interval,
    query: { from?: number; to?: number; limit: number; order: 'asc' | 'latest' },
  ): Promise<Candle[]> {
    this.collectRows();
    const stored = await this.store.candles(symbol, interval, query);
    const byT = new Map<number, Candle>();
    for (const c of stored) byT.set(c.t, c);
    const from = query.from ?? -Infinity;
    const to = query.to ?? Infinity;
    const overlay: Candle[] = [];
    for (const row of this.unwrittenRows.values()) {
      if (row.symbol === symbol && row.interval === interval) overlay.push(row);
    }
    const open = this.aggregator.open(symbol, interval);
    if (open) overlay.push(open);
    for (const c of overlay) {
      if (c.t < from || c.t >= to) continue;
      byT.set(c.t, { t: c.t, o: c.o, h: c.h, l: c.l, c: c.c, v: c.v, n: c.n });
    }
    const all = [...byT.values()].sort((a, b) => a.t - b.t);
    return query.order === 'latest'
      ? all.slice(Math.max(0, all.length - query.limit))
      : all.slice(0, query.limit);
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

  private collectRows(): void {
    for (const row of this.aggregator.takeRows()) {
      this.unwrittenRows.set(rowKey(row.symbol, row.interval, row.t), row);
    }
  }

  /** Writes what is buffered in one batch, off the tick path; a failed write is kept and retried. */
  flush(): Promise<void> {
    if (this.writing) return this.writing;
    this.collectRows();
    const ticks = this.unwrittenTicks;
    const rows = this.unwrittenRows;
    if (!ticks.length && !rows.size) return Promise.resolve();
    this.unwrittenTicks = [];
    this.unwrittenRows = new Map();
    this.writing = this.store
      .write({ ticks, candles: [...rows.values()] })
      .catch((err: unknown) => {
        this.logger.error(`Store write failed, will retry: ${(err as Error).message}`);
        this.unwrittenTicks = ticks.concat(this.unwrittenTicks);
        if (this.unwrittenTicks.length > MAX_UNWRITTEN_TICKS) {
          const drop = this.unwrittenTicks.length - MAX_UNWRITTEN_TICKS;
          this.logger.error(`Store unavailable: dropping the ${drop} oldest unwritten ticks`);
          this.unwrittenTicks.splice(0, drop);
        }
        for (const [key, row] of rows)
          if (!this.unwrittenRows.has(key)) this.unwrittenRows.set(key, row);
      })
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }

  private async prune(): Promise<void> {
    const now = this.clock.now();
    const candlesBefore: Partial<Record<Interval, number>> = {};
    for (const [interval, ms] of Object.entries(CANDLE_RETENTION_MS)) {
      candlesBefore[interval as Interval] = now - ms;
    }
    try {
      const removed = await this.store.prune({
        ticksBefore: now - this.config.tickRetentionHours * 3_600_000,
        candlesBefore,
      });
      if (removed.ticks || removed.candles) {
        this.logger.debug(`Pruned ${removed.ticks} ticks and ${removed.candles} candles`);
      }
    } catch (err) {
      this.logger.warn(`Pruning failed, will retry: ${(err as Error).message}`);
    }
  }

  /**
   * First-start history. Loads overlap generation: the store (PostgreSQL's server, SQLite's
   * writer thread) writes earlier batches while this thread builds the next.
   */
  private async backfill(): Promise<void> {
    const started = Date.now();
    const liveStart = this.clock.now();
    let rows = 0;
    const tickRate = this.config.tickRate;
    const entries = this.instruments.entries();
    const totalLiquidity = entries.reduce((sum, e) => sum + e.sim.liquidity, 0);
    // In the stores' key order (symbol, interval, t), which the generator keeps within a symbol.
    const inKeyOrder = [...entries].sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
    const loading: Promise<void>[] = [];
    let failure: unknown;
    for (const entry of inKeyOrder) {
      const ticksPerSecond = (tickRate * entry.sim.liquidity) / totalLiquidity;
      for (const batch of generateHistory(this.config.seed, entry, liveStart, { ticksPerSecond })) {
        if (loading.length >= this.store.historyLoadsInFlight) await loading.shift();
        if (failure) throw failure;
        loading.push(this.store.loadHistory(batch).catch((err: unknown) => void (failure ??= err)));
        rows += batch.length;
      }
    }
    await Promise.all(loading);
    if (failure) throw failure;
    this.logger.log(`History backfilled: ${rows} candles in ${Date.now() - started} ms`);
  }

  /** After a restart or a backfill: day figures for snapshots, open candles for the aggregator. */
  private async seedFromStore(last: ReadonlyMap<string, Tick>): Promise<void> {
    const now = this.clock.now();
    const today = utcDay(now);
    for (const { symbol } of this.instruments.entries()) {
      for (const interval of INTERVALS) {
        const [latest] = await this.store.candles(symbol, interval, { order: 'latest', limit: 1 });
        if (latest && latest.t + INTERVAL_MS[interval] > now) {
          this.aggregator.seed(symbol, interval, latest);
        }
      }
      const [day] = await this.store.candles(symbol, '1d', { from: today, order: 'asc', limit: 1 });
      const prev = await this.store.lastCandleBefore(symbol, '1d', today);
      this.book.seed(symbol, last.get(symbol), {
        ...(day && day.n > 0 ? { day: day.t, open: day.o, high: day.h, low: day.l } : {}),
        prevClose: prev?.c,
      });
      const tick = last.get(symbol);
      if (tick) this.recent.push(tick);
    }
  }
}
