import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrorDto } from '../common/dto/api-error.response';
import type { Instrument, Snapshot } from '../contracts';
import { MarketDataReader } from '../market-data/market-data.reader';
import { InstrumentDetailDto, InstrumentListDto } from './dto/instrument.response';
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
  @ApiOkResponse({ type: InstrumentListDto })
  @ApiBadRequestResponse({ type: ApiErrorDto, description: 'INVALID_PAYLOAD: a bad parameter' })
  list(@Query() query: ListInstrumentsQuery): { instruments: Instrument[] } {
    return { instruments: this.instruments.list(query) };
  }

  @Get(':symbol')
  @ApiOperation({ summary: 'One instrument (symbol in any case) with its latest snapshot' })
  @ApiOkResponse({ type: InstrumentDetailDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'UNKNOWN_SYMBOL: not in the catalog' })
  get(@Param('symbol') symbol: string): Instrument & { quote: Snapshot | null } {
    const instrument = this.instruments.get(symbol);
    return { ...instrument, quote: this.marketData.snapshot(instrument.symbol) ?? null };
  }
}
