// Deletes stored ticks and fine candles once they pass their retention, every minute.
import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Interval } from '../contracts';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { QuoteStore, type PruneCutoffs } from '../storage/quote-store';

const PRUNE_EVERY_MS = 60_000;
/** Retention of the finer candle intervals; coarser ones are kept forever. */
const CANDLE_RETENTION_MS: Partial<Record<Interval, number>> = {
  '1s': 24 * 3_600_000,
  '1m': 31 * 86_400_000,
};

@Injectable()
export class MarketDataRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MarketDataRetention.name);
  private timer: NodeJS.Timeout | undefined;
  private pruning: Promise<void> | undefined;

  constructor(
    private readonly store: QuoteStore,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  /** Before the store closes (ingest closes it after its last flush): no prune runs past it. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pruning;
  }

  /** The cutoffs for a prune at `now`. */
  cutoffs(now: number): PruneCutoffs {
    const candlesBefore: Partial<Record<Interval, number>> = {};
    for (const [interval, ms] of Object.entries(CANDLE_RETENTION_MS)) {
      candlesBefore[interval as Interval] = now - ms;
    }
    return { ticksBefore: now - this.config.tickRetentionHours * 3_600_000, candlesBefore };
  }

  /** One prune; a failure is logged and the next one tries again. */
  prune(): Promise<void> {
    this.pruning ??= this.pruneOnce().finally(() => (this.pruning = undefined));
    return this.pruning;
  }

  private async pruneOnce(): Promise<void> {
    try {
      const removed = await this.store.prune(this.cutoffs(this.clock.now()));
      if (removed.ticks || removed.candles) {
        this.logger.debug(`Pruned ${removed.ticks} ticks and ${removed.candles} candles`);
      }
    } catch (err) {
      this.logger.warn(`Pruning failed, will retry: ${(err as Error).message}`);
    }
  }
}
