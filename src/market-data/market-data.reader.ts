// Reads of market data for REST and the gateway: the live state merged with the store, so that a
// query sees every tick and candle up to now. Reading changes nothing.
import { Injectable } from '@nestjs/common';
import type { Candle, Interval, LiveCandle, Snapshot, Tick } from '../contracts';
import {
  QuoteStore,
  type CandleQuery,
  type CandleRow,
  type TickQuery,
} from '../storage/quote-store';
import { MarketDataState } from './market-data.state';

@Injectable()
export class MarketDataReader {
  constructor(
    private readonly state: MarketDataState,
    private readonly store: QuoteStore,
  ) {}

  snapshot(symbol: string): Snapshot | undefined {
    return this.state.book.get(symbol);
  }

  lastTick(symbol: string): Tick | undefined {
    return this.state.book.lastTick(symbol);
  }

  /** The open candle of a symbol and interval, as the candles channel sends it. */
  openCandle(symbol: string, interval: Interval): LiveCandle | undefined {
    return this.state.aggregator.open(symbol, interval);
  }

  /** Lowest seq of a symbol's ticks held in memory, or undefined when none are. */
  recentFirstSeq(symbol: string): number | undefined {
    return this.state.recent.firstSeq(symbol);
  }

  /** A symbol's ticks held in memory with seq > afterSeq, in seq order. */
  recentAfter(symbol: string, afterSeq: number): Tick[] {
    return this.state.recent.after(symbol, afterSeq);
  }

  /** Stored ticks merged with those still in memory, so a query sees every tick up to now. */
  async ticks(symbol: string, query: TickQuery): Promise<Tick[]> {
    const recent = this.state.recent;
    const stored = await this.store.ticks(symbol, query);
    const lastStored = stored.length ? stored[stored.length - 1].seq : (query.afterSeq ?? 0);
    const fresh = recent
      .after(symbol, Math.max(lastStored, query.afterSeq ?? 0))
      .filter((t) => t.ts >= (query.fromTs ?? -Infinity) && t.ts < (query.toTs ?? Infinity));
    if (query.order === 'latest') {
      // The newest may be in memory only: merge both, newest `limit` win.
      const bySeq = new Map<number, Tick>();
      for (const t of stored) bySeq.set(t.seq, t);
      for (const t of recent.inRange(symbol, query.fromTs, query.toTs)) {
        if (query.afterSeq === undefined || t.seq > query.afterSeq) bySeq.set(t.seq, t);
      }
      const all = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
      return all.slice(Math.max(0, all.length - query.limit));
    }
    return stored.concat(fresh).slice(0, query.limit);
  }

  /** Lowest seq a resume can start from (store or memory), or undefined when nothing is kept. */
  async firstSeq(symbol: string): Promise<number | undefined> {
    const stored = await this.store.firstSeq(symbol);
    return stored ?? this.state.recent.firstSeq(symbol);
  }

  /** Stored candles overlaid with those in memory: being written, unwritten, closed, open. */
  async candles(symbol: string, interval: Interval, query: CandleQuery): Promise<Candle[]> {
    // Taken before the query as well as after: a row written while the query runs is in one of them.
    const before = this.unstoredCandles(symbol, interval);
    const stored = await this.store.candles(symbol, interval, query);
    const byT = new Map<number, Candle>();
    for (const c of stored) byT.set(c.t, c);
    const from = query.from ?? -Infinity;
    const to = query.to ?? Infinity;
    for (const c of before.concat(this.unstoredCandles(symbol, interval))) {
      if (c.t < from || c.t >= to) continue;
      byT.set(c.t, { t: c.t, o: c.o, h: c.h, l: c.l, c: c.c, v: c.v, n: c.n });
    }
    const all = [...byT.values()].sort((a, b) => a.t - b.t);
    return query.order === 'latest'
      ? all.slice(Math.max(0, all.length - query.limit))
      : all.slice(0, query.limit);
  }

  /** A series' candles the store may not hold yet, oldest version first, the open one last. */
  private unstoredCandles(symbol: string, interval: Interval): Candle[] {
    const { writingRows, unwrittenRows, aggregator } = this.state;
    const out: Candle[] = [];
    const add = (row: CandleRow) => {
      if (row.symbol === symbol && row.interval === interval) out.push(row);
    };
    writingRows?.forEach(add);
    unwrittenRows.forEach(add);
    aggregator.pendingRows().forEach(add);
    const open = aggregator.open(symbol, interval);
    if (open) out.push(open);
    return out;
  }
}
