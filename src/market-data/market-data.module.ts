import { Module } from '@nestjs/common';
import { Clock, SystemClock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { InstrumentsService } from '../instruments/instruments.service';
import { StorageModule } from '../storage/storage.module';
import { InProcessBus, MarketDataBus } from './market-data.bus';
import { MarketDataService } from './market-data.service';
import { PriceFeed } from './price-feed';
import { SimulatorFeed } from './simulator/simulator.feed';

@Module({
  imports: [StorageModule],
  providers: [
    { provide: Clock, useClass: SystemClock },
    {
      provide: PriceFeed,
      inject: [InstrumentsService, Clock, AppConfig],
      useFactory: (instruments: InstrumentsService, clock: Clock, config: AppConfig) =>
        new SimulatorFeed(instruments.entries(), clock, {
          seed: config.seed,
          tickRate: config.tickRate,
        }),
    },
    { provide: MarketDataBus, useClass: InProcessBus },
    MarketDataService,
  ],
  exports: [MarketDataService, MarketDataBus, Clock],
})
export class MarketDataModule {}
