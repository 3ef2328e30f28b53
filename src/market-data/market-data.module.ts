import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ClusterIngest } from '../cluster/cluster-ingest';
import { Clock, SystemClock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { InstrumentsModule } from '../instruments/instruments.module';
import { InstrumentsService } from '../instruments/instruments.service';
import { QuoteStore } from '../storage/quote-store';
import { StorageModule } from '../storage/storage.module';
import { HistoryBackfill } from './history-backfill';
import { InProcessBus, MarketDataBus } from './market-data.bus';
import { MarketDataIngest } from './market-data.ingest';
import { MarketDataReader } from './market-data.reader';
import { MarketDataRetention } from './market-data.retention';
import { MarketDataSource } from './market-data.source';
import { MarketDataState } from './market-data.state';
import { PriceFeed } from './price-feed';
import { SimulatorBackfill } from './simulator/simulator.backfill';
import { SimulatorFeed } from './simulator/simulator.feed';

/** The live feed and the history it continues share one seed and one combined rate. */
function simulatorOptions(config: AppConfig): { seed: number; tickRate: number } {
  return { seed: config.seed, tickRate: config.tickRate };
}

@Module({
  imports: [InstrumentsModule, StorageModule],
  providers: [
    { provide: Clock, useClass: SystemClock },
    {
      provide: PriceFeed,
      inject: [InstrumentsService, Clock, AppConfig],
      useFactory: (instruments: InstrumentsService, clock: Clock, config: AppConfig) =>
        new SimulatorFeed(instruments.entries(), clock, simulatorOptions(config)),
    },
    {
      provide: HistoryBackfill,
      inject: [InstrumentsService, QuoteStore, AppConfig],
      useFactory: (instruments: InstrumentsService, store: QuoteStore, config: AppConfig) =>
        new SimulatorBackfill(instruments.entries(), store, simulatorOptions(config)),
    },
    { provide: MarketDataBus, useClass: InProcessBus },
    MarketDataState,
    // One process (the embedded default), or a node of a cluster when NATS_URL is set.
    {
      provide: MarketDataSource,
      inject: [AppConfig, ModuleRef],
      useFactory: (config: AppConfig, ref: ModuleRef): Promise<MarketDataSource> =>
        config.natsUrl ? ref.create(ClusterIngest) : ref.create(MarketDataIngest),
    },
    MarketDataReader,
    MarketDataRetention,
  ],
  exports: [MarketDataReader, MarketDataSource, MarketDataBus, Clock],
})
export class MarketDataModule {}
