import { Module } from '@nestjs/common';
import { InstrumentsModule } from '../instruments/instruments.module';
import { MarketDataModule } from '../market-data/market-data.module';
import { AppConfig } from '../config/app-config';
import { CursorCodec, cursorKey } from './cursor';
import { QuotesController } from './quotes.controller';
import { QuotesService } from './quotes.service';

@Module({
  imports: [InstrumentsModule, MarketDataModule],
  controllers: [QuotesController],
  providers: [
    QuotesService,
    {
      provide: CursorCodec,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new CursorCodec(cursorKey(config)),
    },
  ],
})
export class QuotesModule {}
