import { Module } from '@nestjs/common';
import { InstrumentsModule } from '../instruments/instruments.module';
import { MarketDataModule } from '../market-data/market-data.module';
import { QuotesController } from './quotes.controller';
import { QuotesService } from './quotes.service';

@Module({
  imports: [InstrumentsModule, MarketDataModule],
  controllers: [QuotesController],
  providers: [QuotesService],
})
export class QuotesModule {}
