import { Module } from '@nestjs/common';
import { InstrumentsModule } from '../instruments/instruments.module';
import { MarketDataModule } from '../market-data/market-data.module';
import { StreamingGateway } from './streaming.gateway';

@Module({
  imports: [InstrumentsModule, MarketDataModule],
  providers: [StreamingGateway],
  exports: [StreamingGateway],
})
export class StreamingModule {}
