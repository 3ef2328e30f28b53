import { Module } from '@nestjs/common';
import { MarketDataModule } from '../market-data/market-data.module';
import { StreamingGateway } from './streaming.gateway';

@Module({
  imports: [MarketDataModule],
  providers: [StreamingGateway],
  exports: [StreamingGateway],
})
export class StreamingModule {}
