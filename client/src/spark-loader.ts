// Fills the session sparklines in from today's stored candles, a few requests at a time.
import { utcDay } from '../../src/contracts';
import type { MarketApi } from './api';
import type { Lifetime } from './lifetime';
import { SPARK_BUCKETS_PER_DAY, SPARK_INTERVAL } from './spark';
import type { DashboardStore } from './store';

const CONCURRENCY = 3;

export class SparkLoader {
  private readonly queue: string[] = [];
  private running = 0;

  constructor(
    private readonly api: Pick<MarketApi, 'candles'>,
    private readonly store: DashboardStore,
    private readonly life: Lifetime,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues `symbols` (once each) for their session history. */
  load(symbols: readonly string[]): void {
    for (const s of symbols) if (!this.queue.includes(s)) this.queue.push(s);
    while (this.running < CONCURRENCY && this.queue.length) void this.next();
  }

  private async next(): Promise<void> {
    const symbol = this.queue.shift();
    if (!symbol) return;
    this.running++;
    try {
      const candles = await this.api.candles(symbol, SPARK_INTERVAL, {
        from: utcDay(this.now()),
        limit: SPARK_BUCKETS_PER_DAY,
      });
      if (!this.life.destroyed) this.store.addSparkHistory(symbol, candles);
    } catch {
      // The sparkline then starts from the live prices; the chart panel reports history errors.
    } finally {
      this.running--;
      if (this.queue.length && !this.life.destroyed) void this.next();
    }
  }
}
