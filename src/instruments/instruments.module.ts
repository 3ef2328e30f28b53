import { Global, Module } from '@nestjs/common';
import { MarketDataModule } from '../market-data/market-data.module';
import { InstrumentsController } from './instruments.controller';
import { InstrumentsService } from './instruments.service';

/** The catalog is read everywhere (REST, gateway, feed), so its service is global. */
@Global()
@Module({
  imports: [MarketDataModule],
  controllers: [InstrumentsController],
  providers: [InstrumentsService],
  exports: [InstrumentsService],
})
export class InstrumentsModule {}
