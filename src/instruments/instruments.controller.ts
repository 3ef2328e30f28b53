import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Instrument, Snapshot } from '../contracts';
import { MarketDataReader } from '../market-data/market-data.reader';
import { ListInstrumentsQuery } from './dto/list-instruments.query';
import { InstrumentsService } from './instruments.service';

@ApiTags('instruments')
@Controller('instruments')
export class InstrumentsController {
  constructor(
    private readonly instruments: InstrumentsService,
    private readonly marketData: MarketDataReader,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List instruments, optionally filtered by asset class or text' })
  @ApiOkResponse({ description: '{ instruments: Instrument[] }' })
  list(@Query() query: ListInstrumentsQuery): { instruments: Instrument[] } {
    return { instruments: this.instruments.list(query) };
  }

  @Get(':symbol')
  @ApiOperation({ summary: 'One instrument (symbol in any case) with its latest snapshot' })
  get(@Param('symbol') symbol: string): Instrument & { quote: Snapshot | null } {
    const instrument = this.instruments.get(symbol);
    return { ...instrument, quote: this.marketData.snapshot(instrument.symbol) ?? null };
  }
}
