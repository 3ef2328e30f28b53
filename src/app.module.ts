import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AccessModule } from './access/access.module';
import { HealthModule } from './health/health.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { createValidationPipe } from './common/validation';
import { ConfigModule } from './config/config.module';
import { InstrumentsApiModule } from './instruments/instruments-api.module';
import { MarketDataModule } from './market-data/market-data.module';
import { QuotesModule } from './quotes/quotes.module';
import { StreamingModule } from './streaming/streaming.module';

@Module({
  imports: [
    ConfigModule,
    AccessModule,
    InstrumentsApiModule,
    MarketDataModule,
    QuotesModule,
    StreamingModule,
    HealthModule,
  ],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
  ],
})
export class AppModule {}
