import { Module } from '@nestjs/common';
import { MarketDataModule } from '../market-data/market-data.module';
import { StreamingModule } from '../streaming/streaming.module';
import { HealthController } from './health.controller';

@Module({
  imports: [MarketDataModule, StreamingModule],
  controllers: [HealthController],
})
export class HealthModule {}
