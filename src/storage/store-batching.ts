// Pieces both QuoteStore implementations share: prune chunking and candle de-duplication.
import { candleRowKey, type CandleRow } from './quote-store';

/**
 * Rows deleted per statement while pruning. Small enough that one statement holds its lock
 * (SQLite: the whole database; PostgreSQL: the rows and their WAL) for milliseconds, so that
 * a flush of the live feed waits at most one chunk.
 */
export const PRUNE_CHUNK_ROWS = 10_000;

/**
 * Keeps the last row of each (symbol, interval, t): one batch may carry several versions of a
 * live candle, and the newest must win, as it would with one upsert per row.
 */
export function lastCandlePerKey(candles: readonly CandleRow[]): CandleRow[] {
  const byKey = new Map<string, CandleRow>();
  for (const row of candles) {
    const key = candleRowKey(row);
    byKey.delete(key);
    byKey.set(key, row);
  }
  return [...byKey.values()];
}

/** Lets queued I/O and timers (the feed's next flush) run between two prune chunks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
