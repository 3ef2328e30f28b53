import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
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
  async candles(
    @Param('symbol') symbol: string,
    @Query() query: CandlesQuery,
    @Res() res: Response,
  ): Promise<void> {
    const page = await this.quotes.candlesEncoded(symbol, query);
    // Sent here, not by Nest, so that cached bytes go out as they are. With an ETag set,
    // Express skips hashing the body and still answers If-None-Match with 304.
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (page.etag) res.setHeader('ETag', page.etag);
    res.send(page.body);
  }

  @Get('quotes/latest')
  @ApiOperation({ summary: 'Snapshots: last tick plus UTC-day open, high, low, prevClose, change' })
  @ApiOkResponse({ description: '{quotes: Snapshot[]}' })
  latest(@Query() query: LatestQuery): { quotes: Snapshot[] } {
    return this.quotes.latest(query.symbols);
  }
}
