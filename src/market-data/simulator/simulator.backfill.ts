// The simulator's history behind HistoryBackfill: generated candles, loaded while the next are built.
import { symbolTickRate, type CatalogEntry } from '../../instruments/catalog';
import type { QuoteStore } from '../../storage/quote-store';
import { HistoryBackfill } from '../history-backfill';
import { generateHistory } from './history-generator';

export interface SimulatorBackfillOptions {
  seed: number;
  /** The live feed's combined ticks per second, so history trades like the feed. */
  tickRate: number;
}

export class SimulatorBackfill extends HistoryBackfill {
  constructor(
    private readonly entries: readonly CatalogEntry[],
    private readonly store: QuoteStore,
    private readonly options: SimulatorBackfillOptions,
  ) {
    super();
  }

  /**
   * Loads overlap generation: the store (PostgreSQL's server, SQLite's writer thread) writes
   * earlier batches while this thread builds the next.
   */
  async fill(liveStart: number): Promise<number> {
    const { seed, tickRate } = this.options;
    let rows = 0;
    // In the stores' key order (symbol, interval, t), which the generator keeps within a symbol.
    const inKeyOrder = [...this.entries].sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
    const loading: Promise<void>[] = [];
    let failure: unknown;
    for (const entry of inKeyOrder) {
      const ticksPerSecond = symbolTickRate(entry, tickRate, this.entries);
      for (const batch of generateHistory(seed, entry, liveStart, { ticksPerSecond })) {
        if (loading.length >= this.store.historyLoadsInFlight) await loading.shift();
        if (failure) throw failure;
        loading.push(this.store.loadHistory(batch).catch((err: unknown) => void (failure ??= err)));
        rows += batch.length;
      }
    }
    await Promise.all(loading);
    if (failure) throw failure;
    return rows;
  }
}
