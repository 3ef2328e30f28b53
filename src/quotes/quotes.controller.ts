import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrorDto } from '../common/dto/api-error.response';
import { CandlesQuery, LatestQuery, QuotesQuery } from './dto/history.query';
import { CandlesPageDto, LatestQuotesDto, QuotesPageDto } from './dto/history.response';
import { QuotesService, type QuotesPage } from './quotes.service';
import type { Snapshot } from '../contracts';

const BAD_PARAMETER = { type: ApiErrorDto, description: 'INVALID_PAYLOAD: a bad parameter' };
const UNKNOWN_SYMBOL = { type: ApiErrorDto, description: 'UNKNOWN_SYMBOL: not in the catalog' };

@ApiTags('quotes')
@ApiBadRequestResponse(BAD_PARAMETER)
@ApiNotFoundResponse(UNKNOWN_SYMBOL)
@Controller()
export class QuotesController {
  constructor(private readonly quotes: QuotesService) {}

  @Get('instruments/:symbol/quotes')
  @ApiOperation({
    summary: 'Ticks ascending by seq; from/to page forward with nextCursor, otherwise the latest',
  })
  @ApiOkResponse({ type: QuotesPageDto })
  ticks(@Param('symbol') symbol: string, @Query() query: QuotesQuery): Promise<QuotesPage> {
    return this.quotes.ticks(symbol, query);
  }

  @Get('instruments/:symbol/candles')
  @ApiOperation({
    summary: 'OHLCV candles ascending by bucket start; the open candle is last',
  })
  @ApiOkResponse({
    type: CandlesPageDto,
    headers: {
      ETag: { description: 'Only on pages of settled ranges (from and to given, to in the past)' },
    },
  })
  @ApiNotModifiedResponse({ description: 'If-None-Match names the ETag of this settled page' })
  async candles(
    @Param('symbol') symbol: string,
    @Query() query: CandlesQuery,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const page = await this.quotes.candlesEncoded(symbol, query);
    // Sent here, not by Nest, so that cached bytes go out as they are. A settled page has an
    // entity tag: a client holding it gets 304 and no body.
    if (page.etag) {
      res.header('ETag', page.etag);
      if (ifNoneMatch && etagMatches(ifNoneMatch, page.etag)) {
        res.code(304).send();
        return;
      }
    }
    res.header('Content-Type', 'application/json; charset=utf-8').send(page.body);
  }

  @Get('quotes/latest')
  @ApiOperation({ summary: 'Snapshots: last tick plus UTC-day open, high, low, prevClose, change' })
  @ApiOkResponse({ type: LatestQuotesDto })
  latest(@Query() query: LatestQuery): { quotes: Snapshot[] } {
    return this.quotes.latest(query.symbols);
  }
}

/** If-None-Match holds `*` or a list of tags, weak ones (W/"...") matching by their value. */
function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
