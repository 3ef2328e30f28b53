// History queries: ticks with cursors, candles, latest snapshots. Reads only; never touches the feed.
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { bucketStart, type Candle, type Interval, type Snapshot, type Tick } from '../contracts';
import { Clock } from '../common/clock';
import { InvalidPayloadError } from '../common/errors';
import { InstrumentsService } from '../instruments/instruments.service';
import { MarketDataReader } from '../market-data/market-data.reader';
import { CursorCodec } from './cursor';
import { DEFAULT_LIMIT, type CandlesQuery, type QuotesQuery } from './dto/history.query';
import { ResponseCache } from './response-cache';

/**
 * A range that ended this long before the current bucket is final: ticks reach the aggregator
 * at most a few ms late, so no candle in it can change any more.
 */
const SETTLED_MS = 5_000;

export interface QuotesPage {
  symbol: string;
  quotes: Tick[];
  nextCursor: string | null;
}

/** A candles page encoded once: the JSON bytes and, for settled ranges, their entity tag. */
export interface EncodedPage {
  body: Buffer;
  etag?: string;
}

export interface CandlesPage {
  symbol: string;
  interval: Interval;
  candles: Candle[];
}

function checkRange(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && to !== undefined && from >= to) {
    throw new InvalidPayloadError([`from must be before to (from ${from} >= to ${to})`]);
  }
}

/**
 * The cursor carries its range, so from/to need not be given again; given, they must be the
 * cursor's: a page of another range under an old cursor would skip or repeat ticks.
 */
function sameRange(ofCursor: number | undefined, given: number | undefined, name: string): void {
  if (given !== undefined && given !== ofCursor) {
    throw new InvalidPayloadError([`${name} differs from the range of the cursor`]);
  }
}

@Injectable()
export class QuotesService {
  /** Encoded candle pages of settled ranges: history is read far more often than it is made. */
  private readonly settled = new ResponseCache<Required<EncodedPage>>(
    64 * 1024 * 1024,
    (page) => page.body.length,
  );

  constructor(
    private readonly instruments: InstrumentsService,
    private readonly marketData: MarketDataReader,
    private readonly clock: Clock,
    private readonly cursors: CursorCodec,
  ) {}

  async ticks(rawSymbol: string, query: QuotesQuery): Promise<QuotesPage> {
    const symbol = this.instruments.get(rawSymbol).symbol;
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (query.cursor !== undefined) {
      const cursor = this.cursors.decode(query.cursor, symbol);
      sameRange(cursor.from, query.from, 'from');
      sameRange(cursor.to, query.to, 'to');
      return this.page(symbol, limit, cursor.from, cursor.to, cursor.afterSeq);
    }
    checkRange(query.from, query.to);
    if (query.from !== undefined) return this.page(symbol, limit, query.from, query.to, undefined);
    // No start: the most recent ticks (before `to` when given).
    const quotes = await this.marketData.ticks(symbol, { toTs: query.to, limit, order: 'latest' });
    return { symbol, quotes, nextCursor: null };
  }

  private async page(
    symbol: string,
    limit: number,
    from: number | undefined,
    to: number | undefined,
    afterSeq: number | undefined,
  ): Promise<QuotesPage> {
    const rows = await this.marketData.ticks(symbol, {
      fromTs: from,
      toTs: to,
      afterSeq,
      limit: limit + 1,
      order: 'asc',
    });
    const quotes = rows.slice(0, limit);
    const more = rows.length > limit;
    return {
      symbol,
      quotes,
      nextCursor: more
        ? this.cursors.encode({ symbol, afterSeq: quotes[quotes.length - 1].seq, from, to })
        : null,
    };
  }

  /**
   * The candles page, encoded. Pages of settled ranges come from a cache, with an entity tag
   * computed once, so a repeated request costs neither a query, nor serialization, nor hashing.
   */
  async candlesEncoded(rawSymbol: string, query: CandlesQuery): Promise<EncodedPage> {
    const symbol = this.instruments.get(rawSymbol).symbol;
    const settled =
      query.from !== undefined &&
      query.to !== undefined &&
      query.to <= bucketStart(this.clock.now() - SETTLED_MS, query.interval);
    if (!settled) return { body: Buffer.from(JSON.stringify(await this.candles(symbol, query))) };
    const key = `${symbol}|${query.interval}|${query.from}|${query.to}|${query.limit ?? DEFAULT_LIMIT}`;
    let page = this.settled.get(key);
    if (!page) {
      const body = Buffer.from(JSON.stringify(await this.candles(symbol, query)));
      page = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
      this.settled.set(key, page);
    }
    return page;
  }

  async candles(rawSymbol: string, query: CandlesQuery): Promise<CandlesPage> {
    const symbol = this.instruments.get(rawSymbol).symbol;
    checkRange(query.from, query.to);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const candles = await this.marketData.candles(symbol, query.interval, {
      from: query.from,
      to: query.to,
      limit,
      // With a start, read forward from it; otherwise the most recent (before `to`).
      order: query.from !== undefined ? 'asc' : 'latest',
    });
    return { symbol, interval: query.interval, candles };
  }

  latest(symbols: string | undefined): { quotes: Snapshot[] } {
    const list =
      symbols === undefined || symbols.trim() === ''
        ? this.instruments.symbols()
        : this.instruments.resolve(
            symbols
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          );
    const quotes: Snapshot[] = [];
    for (const symbol of list) {
      const snapshot = this.marketData.snapshot(symbol);
      if (snapshot) quotes.push(snapshot);
    }
    return { quotes };
  }
}
