import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InstrumentsModule } from '../instruments/instruments.module';
import { InstrumentsService } from '../instruments/instruments.service';
import { MarketDataModule } from '../market-data/market-data.module';
import { ControlRateGuard } from './control-rate.guard';
import { DEFAULT_THROTTLE_MS, FanOut } from './fan-out';
import { FanOutPump } from './fan-out.pump';
import { ResumeService } from './resume.service';
import { SOCKET_IO_WIRE } from './socket-io.wire';
import { StreamingGateway } from './streaming.gateway';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  imports: [InstrumentsModule, MarketDataModule],
  providers: [
    {
      provide: FanOut,
      inject: [AppConfig, InstrumentsService],
      useFactory: (config: AppConfig, instruments: InstrumentsService) =>
        new FanOut({
          slowClientBytes: config.slowClientBytes,
          degradedGrowthBytes: config.slowClientBytes * 4,
          maxClientBytes: config.maxClientBytes,
          degradedThrottleMs: DEFAULT_THROTTLE_MS,
          wire: SOCKET_IO_WIRE,
          // Subscriptions are to catalog symbols only; NaN (never in practice) counts in 10^-8.
          pricePrecision: (symbol) =>
            instruments.normalize(symbol) ? instruments.get(symbol).pricePrecision : NaN,
        }),
    },
    FanOutPump,
    ResumeService,
    SubscriptionsService,
    ControlRateGuard,
    StreamingGateway,
  ],
  exports: [StreamingGateway, FanOutPump],
})
export class StreamingModule {}
