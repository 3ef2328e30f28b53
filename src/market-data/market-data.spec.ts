// Ingest and reads together, over a fake feed and an in-memory store whose writes the test controls.
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { Candle, Interval, Tick } from '../contracts';
import { ManualClock } from '../common/clock';
import type { AppConfig } from '../config/app-config';
import { CATALOG } from '../instruments/catalog';
import type { InstrumentsService } from '../instruments/instruments.service';
import {
  candleRowKey,
  type CandleQuery,
  type CandleRow,
  type QuoteStore,
  type SeqReservation,
  type TickQuery,
  type WriteBatch,
} from '../storage/quote-store';
import type { HistoryBackfill } from './history-backfill';
import { InProcessBus } from './market-data.bus';
import { Readiness } from '../common/readiness';
import { MarketDataIngest } from './market-data.ingest';
import { MarketDataReader } from './market-data.reader';
import { MarketDataState } from './market-data.state';
import { FakePriceFeed } from './price-feed.fake';

const NOON = Date.UTC(2026, 2, 9, 12, 0, 0);
const ENTRIES = CATALOG.filter((e) => e.symbol === 'AAPL' || e.symbol === 'BTCUSD');

/** Just enough of a QuoteStore; `hold()` makes the next writes wait, `fail()` makes them throw. */
class MemoryStore {
  readonly kind = 'memory';
  readonly storedTicks: Tick[] = [];
  readonly storedCandles = new Map<string, CandleRow>();
  readonly reserved = new Map<string, number>();
  writes = 0;
  private mode: 'ok' | 'fail' | 'hold' = 'ok';
  private release: (() => void) | undefined;

  fail(): void {
    this.mode = 'fail';
  }
  hold(): void {
    this.mode = 'hold';
  }
  /** Back to normal; a held write completes. */
  ok(): void {
    this.mode = 'ok';
    this.release?.();
  }

  async write(batch: WriteBatch): Promise<void> {
    if (this.mode === 'fail') throw new Error('disk full');
    if (this.mode === 'hold') await new Promise<void>((r) => (this.release = r));
    this.writes++;
    const seen = new Set(this.storedTicks.map((t) => `${t.symbol}|${t.seq}`));
    for (const t of batch.ticks) if (!seen.has(`${t.symbol}|${t.seq}`)) this.storedTicks.push(t);
    for (const row of batch.candles) this.storedCandles.set(candleRowKey(row), row);
    for (const r of batch.reservations ?? []) {
      this.reserved.set(r.symbol, Math.max(r.through, this.reserved.get(r.symbol) ?? 0));
    }
  }
  async lastTicks(): Promise<Map<string, Tick>> {
    const last = new Map<string, Tick>();
    for (const t of this.storedTicks) {
      if (t.seq > (last.get(t.symbol)?.seq ?? 0)) last.set(t.symbol, t);
    }
    return last;
  }
  async reservations(): Promise<Map<string, number>> {
    return new Map(this.reserved);
  }
  async releaseReservations(list: readonly SeqReservation[]): Promise<void> {
    if (this.mode === 'fail') throw new Error('disk full');
    for (const r of list) this.reserved.set(r.symbol, r.through);
  }
  async firstSeq(symbol: string): Promise<number | undefined> {
    return this.storedTicks.find((t) => t.symbol === symbol)?.seq;
  }
  async ticks(symbol: string, q: TickQuery): Promise<Tick[]> {
    const all = this.storedTicks
      .filter((t) => t.symbol === symbol)
      .filter((t) => t.ts >= (q.fromTs ?? -Infinity) && t.ts < (q.toTs ?? Infinity))
      .filter((t) => t.seq > (q.afterSeq ?? 0))
      .sort((a, b) => a.seq - b.seq);
    return q.order === 'latest' ? all.slice(-q.limit) : all.slice(0, q.limit);
  }
  async candles(symbol: string, interval: Interval, q: CandleQuery): Promise<Candle[]> {
    const all = [...this.storedCandles.values()]
      .filter((c) => c.symbol === symbol && c.interval === interval)
      .filter((c) => c.t >= (q.from ?? -Infinity) && c.t < (q.to ?? Infinity))
      .sort((a, b) => a.t - b.t)
      .map(({ t, o, h, l, c, v, n }) => ({ t, o, h, l, c, v, n }));
    return q.order === 'latest' ? all.slice(-q.limit) : all.slice(0, q.limit);
  }
  async lastCandleBefore(): Promise<Candle | undefined> {
    return undefined;
  }
  async close(): Promise<void> {}
}

function setup(store = new MemoryStore()) {
  const clock = new ManualClock(NOON);
  const feed = new FakePriceFeed(ENTRIES, clock);
  const state = new MarketDataState();
  const config = { backfill: false, flushMs: 3_600_000, tickRate: 400 } as AppConfig;
  const instruments = { entries: () => ENTRIES } as unknown as InstrumentsService;
  const history = { fill: () => Promise.reject(new Error('no backfill')) } as HistoryBackfill;
  const quoteStore = store as unknown as QuoteStore;
  const ingest = new MarketDataIngest(
    state,
    feed,
    history,
    new InProcessBus(),
    quoteStore,
    instruments,
    clock,
    config,
    new Readiness(),
  );
  const sut = new MarketDataReader(state, quoteStore);
  /** `seconds` seconds of BTCUSD ticks, `perSecond` a second; returns them. */
  const trade = (seconds: number, perSecond = 4): Tick[] => {
    const out: Tick[] = [];
    for (let s = 0; s < seconds; s++) {
      for (let i = 0; i < perSecond; i++) {
        out.push(...feed.emit('BTCUSD'));
        clock.advance(1000 / perSecond);
      }
    }
    return out;
  };
  return { clock, store, feed, ingest, sut, trade };
}

const all = { limit: 5000, order: 'asc' } as const;
const counted = (candles: Candle[]) => candles.reduce((sum, c) => sum + c.n, 0);

describe('MarketDataIngest and MarketDataReader', () => {
  let ctx: ReturnType<typeof setup>;
  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    ctx = setup();
    await ctx.ingest.onApplicationBootstrap();
  });
  afterEach(async () => {
    ctx.store.ok();
    await ctx.ingest.onApplicationShutdown();
  });

  it('serves snapshots, the open candle and the recent ticks as they arrive', () => {
    const ticks = ctx.trade(3);
    const last = ticks[ticks.length - 1];
    expect(ctx.sut.snapshot('BTCUSD')).toMatchObject({ seq: last.seq, last: last.last });
    expect(ctx.sut.lastTick('BTCUSD')).toBe(last);
    expect(ctx.sut.openCandle('BTCUSD', '1m')).toMatchObject({ n: ticks.length, closed: false });
    expect(ctx.sut.recentFirstSeq('BTCUSD')).toBe(1);
    expect(ctx.sut.recentAfter('BTCUSD', 10).map((t) => t.seq)).toEqual([11, 12]);
    expect(ctx.ingest.stats()).toMatchObject({ ticks: 12, unwrittenTicks: 12 });
  });

  it('reads candles the store does not hold yet, and changes nothing by reading', async () => {
    const ticks = ctx.trade(5);
    const stats = ctx.ingest.stats();
    const writes = ctx.store.writes;
    const first = await ctx.sut.candles('BTCUSD', '1s', all);
    expect(first.map((c) => c.t)).toEqual([0, 1, 2, 3, 4].map((s) => NOON + s * 1000));
    expect(counted(first)).toBe(ticks.length);
    expect(await ctx.sut.candles('BTCUSD', '1s', all)).toEqual(first);
    expect(ctx.ingest.stats()).toEqual(stats);
    expect(ctx.store.writes).toBe(writes);
    // What the flush writes is what was read.
    await ctx.ingest.flush();
    expect(await ctx.sut.candles('BTCUSD', '1s', all)).toEqual(first);
    expect(ctx.store.storedTicks).toHaveLength(ticks.length);
  });

  it('sees every candle and tick while a write is in flight', async () => {
    const ticks = ctx.trade(4);
    ctx.store.hold();
    const writing = ctx.ingest.flush();
    ticks.push(...ctx.trade(2));
    const candles = await ctx.sut.candles('BTCUSD', '1s', all);
    expect(candles).toHaveLength(6);
    expect(counted(candles)).toBe(ticks.length);
    const read = await ctx.sut.ticks('BTCUSD', { ...all, fromTs: 0 });
    expect(read.map((t) => t.seq)).toEqual(ticks.map((t) => t.seq));
    ctx.store.ok();
    await writing;
    expect(await ctx.sut.candles('BTCUSD', '1s', all)).toEqual(candles);
  });

  it('keeps a failed write in memory, readable, and writes it with the next flush', async () => {
    const ticks = ctx.trade(3);
    ctx.store.fail();
    await ctx.ingest.flush();
    expect(ctx.ingest.stats()).toMatchObject({ unwrittenTicks: ticks.length });
    ticks.push(...ctx.trade(1));
    const candles = await ctx.sut.candles('BTCUSD', '1s', all);
    expect(counted(candles)).toBe(ticks.length);
    ctx.store.ok();
    await ctx.ingest.flush();
    expect(ctx.ingest.stats()).toMatchObject({ unwrittenTicks: 0, unwrittenCandles: 0 });
    expect(ctx.store.storedTicks.map((t) => t.seq)).toEqual(ticks.map((t) => t.seq));
    const stored = await ctx.store.candles('BTCUSD', '1s', all);
    // The open bucket is written as it stands; the closed ones in full.
    expect(stored.slice(0, -1)).toEqual(candles.slice(0, -1));
    expect(await ctx.sut.candles('BTCUSD', '1s', all)).toEqual(candles);
  });

  it('merges stored and in-memory ticks, the newest winning for `latest`', async () => {
    const ticks = ctx.trade(2);
    await ctx.ingest.flush();
    ticks.push(...ctx.trade(2));
    const latest = await ctx.sut.ticks('BTCUSD', { limit: 5, order: 'latest' });
    expect(latest.map((t) => t.seq)).toEqual([12, 13, 14, 15, 16]);
    const after = await ctx.sut.ticks('BTCUSD', { afterSeq: 6, limit: 4, order: 'asc' });
    expect(after.map((t) => t.seq)).toEqual([7, 8, 9, 10]);
    expect(await ctx.sut.firstSeq('BTCUSD')).toBe(1);
  });
});

describe('MarketDataIngest seq reservations', () => {
  beforeAll(() => Logger.overrideLogger(false));
  const seqsOf = (ticks: Tick[]) => ticks.map((t) => t.seq);

  it('reserves a block before the feed issues a seq, and extends it with a flush', async () => {
    const ctx = setup();
    await ctx.ingest.onApplicationBootstrap();
    try {
      const block = ctx.store.reserved.get('BTCUSD')!;
      expect(block).toBeGreaterThanOrEqual(1_001);
      expect(ctx.store.reserved.get('AAPL')).toBeGreaterThanOrEqual(1_001);
      // Past half the block, the next flush reserves further, with the ticks.
      expect(seqsOf(ctx.feed.emit('BTCUSD', block))).toHaveLength(block);
      await ctx.ingest.flush();
      expect(ctx.store.reserved.get('BTCUSD')).toBeGreaterThan(block + 1_000);
      expect(ctx.feed.emit('BTCUSD', 5)[0].seq).toBe(block + 1);
    } finally {
      await ctx.ingest.onApplicationShutdown();
    }
  });

  it('pauses a symbol at its reservation while the store refuses writes, reporting it once', async () => {
    const ctx = setup();
    await ctx.ingest.onApplicationBootstrap();
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const paused = () => errors.mock.calls.filter(([m]) => String(m).includes('paused')).length;
    try {
      const through = ctx.store.reserved.get('BTCUSD')!;
      ctx.store.fail();
      await ctx.ingest.flush();
      const issued = ctx.feed.emit('BTCUSD', through + 50);
      expect(issued.at(-1)!.seq).toBe(through);
      await ctx.ingest.flush();
      await ctx.ingest.flush();
      expect(ctx.feed.emit('BTCUSD', 3)).toEqual([]);
      expect(paused()).toBe(1);
      ctx.store.ok();
      await ctx.ingest.flush();
      // Nothing was skipped or reused: the symbol continues with the next seq.
      expect(seqsOf(ctx.feed.emit('BTCUSD', 2))).toEqual([through + 1, through + 2]);
      expect(ctx.store.storedTicks.filter((t) => t.symbol === 'BTCUSD')).toHaveLength(through);
    } finally {
      errors.mockRestore();
      await ctx.ingest.onApplicationShutdown();
    }
  });

  it('after a crash continues past the reserved seqs, from the last stored price', async () => {
    const store = new MemoryStore();
    const first = setup(store);
    await first.ingest.onApplicationBootstrap();
    first.trade(2);
    await first.ingest.flush();
    const stored = store.storedTicks.at(-1)!;
    const reserved = store.reserved.get('BTCUSD')!;
    first.trade(1); // issued, never written: the crash loses them
    first.feed.stop(); // a crash: no shutdown, no release
    const reservedAapl = store.reserved.get('AAPL')!;

    const second = setup(store);
    await second.ingest.onApplicationBootstrap();
    try {
      const [next] = second.feed.emit('BTCUSD');
      expect(next.seq).toBe(reserved + 1);
      expect(Math.abs(next.last - stored.last)).toBeLessThan((stored.ask - stored.bid) * 5);
      expect(store.reserved.get('BTCUSD')).toBeGreaterThan(reserved + 1_000);
      // Nothing in memory pretends the gap away: a resume across it cannot add up.
      expect(second.sut.recentFirstSeq('BTCUSD')).toBe(reserved + 1);
      expect(second.sut.recentAfter('BTCUSD', stored.seq).map((t) => t.seq)).toEqual([
        reserved + 1,
      ]);
      // A symbol that never ticked continues after its reservation too.
      expect(second.feed.emit('AAPL')[0].seq).toBe(reservedAapl + 1);
    } finally {
      await second.ingest.onApplicationShutdown();
    }
  });

  it('on a clean stop releases each reservation down to the last seq issued', async () => {
    const store = new MemoryStore();
    const first = setup(store);
    await first.ingest.onApplicationBootstrap();
    const ticks = first.trade(3);
    await first.ingest.onApplicationShutdown();
    expect(store.reserved.get('BTCUSD')).toBe(ticks.at(-1)!.seq);
    expect(store.reserved.get('AAPL')).toBe(0);

    const second = setup(store);
    await second.ingest.onApplicationBootstrap();
    try {
      expect(second.feed.emit('BTCUSD')[0].seq).toBe(ticks.at(-1)!.seq + 1);
      expect(second.feed.emit('AAPL')[0].seq).toBe(1);
    } finally {
      await second.ingest.onApplicationShutdown();
    }
  });
});
