// Takes ticks from the PriceFeed to the snapshot book and the bus (and, with storage, to the store).
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Snapshot, Tick } from '../contracts';
import { MarketDataBus } from './market-data.bus';
import { PriceFeed } from './price-feed';
import { SnapshotBook } from './snapshot-book';

@Injectable()
export class MarketDataService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MarketDataService.name);
  private readonly book = new SnapshotBook();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly feed: PriceFeed,
    private readonly bus: MarketDataBus,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.feed.subscribe((tick) => this.onTick(tick));
    this.feed.start(new Map());
    this.logger.log('Price feed started');
  }

  onApplicationShutdown(): void {
    this.feed.stop();
    this.unsubscribe?.();
  }

  private onTick(tick: Tick): void {
    this.book.apply(tick);
    this.bus.publishTick(tick);
  }

  snapshot(symbol: string): Snapshot | undefined {
    return this.book.get(symbol);
  }

  lastTick(symbol: string): Tick | undefined {
    return this.book.lastTick(symbol);
  }
}
