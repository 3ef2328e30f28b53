import { Module } from '@nestjs/common';
import { MarketDataModule } from '../market-data/market-data.module';
import { InstrumentsController } from './instruments.controller';
import { InstrumentsModule } from './instruments.module';

/** The instruments REST routes: the catalog joined with each instrument's live snapshot. */
@Module({
  imports: [InstrumentsModule, MarketDataModule],
  controllers: [InstrumentsController],
})
export class InstrumentsApiModule {}
