import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CandlesQuery, LatestQuery, QuotesQuery } from './dto/history.query';
import { QuotesService, type QuotesPage } from './quotes.service';
import type { Snapshot } from '../contracts';

@ApiTags('quotes')
@Controller()
export class QuotesController {
  constructor(private readonly quotes: QuotesService) {}

  @Get('instruments/:symbol/quotes')
  @ApiOperation({
    summary: 'Ticks ascending by seq; from/to page forward with nextCursor, otherwise the latest',
  })
  @ApiOkResponse({ description: '{symbol, quotes: Tick[], nextCursor: string | null}' })
  ticks(@Param('symbol') symbol: string, @Query() query: QuotesQuery): Promise<QuotesPage> {
    return this.quotes.ticks(symbol, query);
  }

  @Get('instruments/:symbol/candles')
  @ApiOperation({
    summary: 'OHLCV candles ascending by bucket start; the open candle is last',
  })
  @ApiOkResponse({ description: '{symbol, interval, candles: [{t, o, h, l, c, v, n}]}' })
  @Header('Content-Type', 'application/json; charset=utf-8')
  candles(@Param('symbol') symbol: string, @Query() query: CandlesQuery): Promise<string> {
    return this.quotes.candlesJson(symbol, query);
  }

  @Get('quotes/latest')
  @ApiOperation({ summary: 'Snapshots: last tick plus UTC-day open, high, low, prevClose, change' })
  @ApiOkResponse({ description: '{quotes: Snapshot[]}' })
  latest(@Query() query: LatestQuery): { quotes: Snapshot[] } {
    return this.quotes.latest(query.symbols);
  }
}
