// The live in-memory market data that ingest writes and reads merge with the store: one per app.
import { Injectable } from '@nestjs/common';
import { INTERVALS, INTERVAL_MS, type Tick, utcDay } from '../contracts';
import type { CandleRow, QuoteStore } from '../storage/quote-store';
import { CandleAggregator } from './candles/candle-aggregator';
import { RecentTicks } from './recent-ticks';
import { SnapshotBook } from './snapshot-book';

@Injectable()
export class MarketDataState {
  book = new SnapshotBook();
  recent = new RecentTicks();
  aggregator = new CandleAggregator();
  /** Ticks not yet handed to the store. */
  unwrittenTicks: Tick[] = [];
  /** Candle rows taken from the aggregator and not yet handed to the store, by candleRowKey. */
  unwrittenRows = new Map<string, CandleRow>();
  /** Candle rows of the write in flight: handed to the store, not yet confirmed written. */
  writingRows: ReadonlyMap<string, CandleRow> | undefined;

  /**
   * Empties the live state before it is seeded again (a cluster node whose first seeding failed
   * half-way). Readers read these fields on each call; nothing may hold on to the old parts.
   */
  clear(): void {
    this.book = new SnapshotBook();
    this.recent = new RecentTicks();
    this.aggregator = new CandleAggregator();
  }

  /** A tick into the live state, in place: snapshot day figures, the recent ring, open candles. */
  apply(tick: Tick): void {
    this.book.apply(tick);
    this.recent.push(tick);
    this.aggregator.apply(tick);
  }
}

export interface SeedOptions {
  /** Whether a symbol's last stored tick goes into the recent ring (only if the feed continues it). */
  ring: (tick: Tick) => boolean;
}

/**
 * After a restart, a backfill or a node's start: each symbol's day figures for snapshots and its
 * open candles for the aggregator, from the store, and its last stored tick.
 */
export async function seedState(
  state: MarketDataState,
  store: QuoteStore,
  entries: readonly { symbol: string }[],
  now: number,
  last: ReadonlyMap<string, Tick>,
  options: SeedOptions,
): Promise<void> {
  const today = utcDay(now);
  for (const { symbol } of entries) {
    for (const interval of INTERVALS) {
      const [latest] = await store.candles(symbol, interval, { order: 'latest', limit: 1 });
      if (latest && latest.t + INTERVAL_MS[interval] > now) {
        state.aggregator.seed(symbol, interval, latest);
      }
    }
    const [day] = await store.candles(symbol, '1d', { from: today, order: 'asc', limit: 1 });
    const prev = await store.lastCandleBefore(symbol, '1d', today);
    const tick = last.get(symbol);
    state.book.seed(symbol, tick, {
      ...(day && day.n > 0 ? { day: day.t, open: day.o, high: day.h, low: day.l } : {}),
      prevClose: prev?.c,
    });
    if (tick && options.ring(tick)) state.recent.push(tick);
  }
}
