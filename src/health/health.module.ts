import { Module } from '@nestjs/common';
import { MarketDataModule } from '../market-data/market-data.module';
import { StreamingModule } from '../streaming/streaming.module';
import { EventLoopWatch } from './event-loop.watch';
import { HealthController } from './health.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [MarketDataModule, StreamingModule],
  controllers: [HealthController],
  providers: [MetricsService, EventLoopWatch],
  exports: [MetricsService],
})
export class HealthModule {}
