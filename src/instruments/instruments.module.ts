import { Module } from '@nestjs/common';
import { InstrumentsService } from './instruments.service';

/** The catalog, for every module that reads it (REST, gateway, feed): each imports this module. */
@Module({
  providers: [InstrumentsService],
  exports: [InstrumentsService],
})
export class InstrumentsModule {}
