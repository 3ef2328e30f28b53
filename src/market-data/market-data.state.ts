// The live in-memory market data that ingest writes and reads merge with the store: one per app.
import { Injectable } from '@nestjs/common';
import type { Tick } from '../contracts';
import type { CandleRow } from '../storage/quote-store';
import { CandleAggregator } from './candles/candle-aggregator';
import { RecentTicks } from './recent-ticks';
import { SnapshotBook } from './snapshot-book';

@Injectable()
export class MarketDataState {
  readonly book = new SnapshotBook();
  readonly recent = new RecentTicks();
  readonly aggregator = new CandleAggregator();
  /** Ticks not yet handed to the store. */
  unwrittenTicks: Tick[] = [];
  /** Candle rows taken from the aggregator and not yet handed to the store, by candleRowKey. */
  unwrittenRows = new Map<string, CandleRow>();
  /** Candle rows of the write in flight: handed to the store, not yet confirmed written. */
  writingRows: ReadonlyMap<string, CandleRow> | undefined;
}
