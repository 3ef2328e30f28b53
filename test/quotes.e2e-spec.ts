import request from 'supertest';
import type { Candle, Snapshot, Tick } from '../src/contracts';
import { startApp, type FakeFeedApp } from './support/app';

describe('History REST (e2e)', () => {
  let sut: FakeFeedApp;
  beforeAll(async () => {
    sut = await startApp({ FLUSH_MS: '100' }, { fakeFeed: { lagMs: 10_000 } });
    // Ten seconds of ticks laid down at once: enough for paging, and settled seconds for the cache.
    sut.catchUp(100, () => {
      sut.feed.tickAll();
      sut.feed.emit('BTCUSD', 4);
    });
  });
  afterAll(() => sut.close());

  const get = (path: string) => request(sut.url).get(path);

  describe('GET /api/instruments/:symbol/quotes', () => {
    it('returns the most recent ticks ascending by seq, with no cursor', async () => {
      sut.feed.emit('BTCUSD', 3);
      const res = await get('/api/instruments/btcusd/quotes?limit=20').expect(200);
      expect(res.body.symbol).toBe('BTCUSD');
      expect(res.body.nextCursor).toBeNull();
      const quotes: Tick[] = res.body.quotes;
      expect(quotes).toHaveLength(20);
      for (let i = 1; i < quotes.length; i++) expect(quotes[i].seq).toBe(quotes[i - 1].seq + 1);
      const latest = await get('/api/quotes/latest?symbols=BTCUSD').expect(200);
      // The newest tick (not yet in the store) is included.
      expect(quotes[quotes.length - 1].seq).toBe(latest.body.quotes[0].seq);
    });

    it('pages through a range with nextCursor, yielding every tick exactly once', async () => {
      const all = await get('/api/instruments/BTCUSD/quotes?limit=5000').expect(200);
      const ticks: Tick[] = all.body.quotes;
      expect(ticks.length).toBeGreaterThan(40);
      const from = ticks[5].ts;
      const to = ticks[ticks.length - 5].ts;
      const expected = ticks.filter((t) => t.ts >= from && t.ts < to).map((t) => t.seq);
      const seen: number[] = [];
      let url = `/api/instruments/BTCUSD/quotes?from=${from}&to=${new Date(to).toISOString()}&limit=7`;
      for (let page = 0; page < 1000; page++) {
        const res = await get(url).expect(200);
        seen.push(...res.body.quotes.map((t: Tick) => t.seq));
        if (!res.body.nextCursor) break;
        expect(res.body.quotes).toHaveLength(7);
        url = `/api/instruments/BTCUSD/quotes?cursor=${encodeURIComponent(res.body.nextCursor)}&limit=7`;
      }
      expect(seen).toEqual(expected);
    });

    it.each([
      ['limit=0', /limit/],
      ['limit=5001', /limit/],
      ['limit=abc', /limit/],
      ['from=yesterday', /from/],
      ['from=2026-01-02&to=2026-01-01', /from must be before to/],
      ['cursor=not-a-cursor', /cursor was not issued by this server/],
    ])('400 for %s, naming the parameter', async (query, message) => {
      const res = await get(`/api/instruments/AAPL/quotes?${query}`).expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_PAYLOAD',
      });
      expect(res.body.message).toMatch(message);
    });

    it('400 for a cursor issued for another symbol', async () => {
      const all = await get('/api/instruments/BTCUSD/quotes?limit=10');
      const first = await get(
        `/api/instruments/BTCUSD/quotes?from=${all.body.quotes[0].ts}&limit=2`,
      );
      const res = await get(`/api/instruments/AAPL/quotes?cursor=${first.body.nextCursor}`).expect(
        400,
      );
      expect(res.body.message).toMatch(/belongs to BTCUSD/);
    });

    it('names both bad parameters when two are wrong', async () => {
      const res = await get('/api/instruments/AAPL/quotes?limit=0&from=soon').expect(400);
      expect(res.body.message).toMatch(/limit/);
      expect(res.body.message).toMatch(/from/);
    });

    it('404 for an unknown symbol', async () => {
      const res = await get('/api/instruments/NOPE/quotes').expect(404);
      expect(res.body).toMatchObject({ statusCode: 404, code: 'UNKNOWN_SYMBOL' });
    });
  });

  describe('GET /api/instruments/:symbol/candles', () => {
    it('returns aligned candles ascending, the open one last, with OHLC invariants', async () => {
      sut.feed.emit('BTCUSD');
      const res = await get('/api/instruments/BTCUSD/candles?interval=1s').expect(200);
      expect(res.body).toMatchObject({ symbol: 'BTCUSD', interval: '1s' });
      const candles: Candle[] = res.body.candles;
      expect(candles.length).toBeGreaterThan(1);
      for (let i = 0; i < candles.length; i++) {
        const c = candles[i];
        expect(c.t % 1000).toBe(0);
        if (i) expect(c.t).toBe(candles[i - 1].t + 1000);
        expect(c.l).toBeLessThanOrEqual(Math.min(c.o, c.c));
        expect(c.h).toBeGreaterThanOrEqual(Math.max(c.o, c.c));
      }
      expect(candles[candles.length - 1].t + 1000).toBeGreaterThan(Date.now() - 1000);
    });

    it('builds candles that equal the ticks they cover', async () => {
      const ticks: Tick[] = (await get('/api/instruments/BTCUSD/quotes?limit=5000')).body.quotes;
      const candles: Candle[] = (
        await get('/api/instruments/BTCUSD/candles?interval=1s&limit=5000')
      ).body.candles;
      // Check each closed bucket fully covered by the tick sample.
      const firstFull = Math.ceil(ticks[0].ts / 1000) * 1000;
      const now = Date.now();
      let checked = 0;
      for (const c of candles) {
        if (c.t < firstFull || c.t + 1000 > now - 500 || c.n === 0) continue;
        const inside = ticks.filter((t) => t.ts >= c.t && t.ts < c.t + 1000);
        if (!inside.length || inside[inside.length - 1].seq === ticks[ticks.length - 1].seq)
          continue;
        expect(c.n).toBe(inside.length);
        expect(c.o).toBe(inside[0].last);
        expect(c.c).toBe(inside[inside.length - 1].last);
        expect(c.h).toBe(Math.max(...inside.map((t) => t.last)));
        expect(c.l).toBe(Math.min(...inside.map((t) => t.last)));
        expect(c.v).toBeCloseTo(
          inside.reduce((s, t) => s + t.size, 0),
          6,
        );
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });

    it('reads forward from `from` and backward from `to`', async () => {
      const recent: Candle[] = (await get('/api/instruments/BTCUSD/candles?interval=1s&limit=3'))
        .body.candles;
      expect(recent).toHaveLength(3);
      const before: Candle[] = (
        await get(`/api/instruments/BTCUSD/candles?interval=1s&to=${recent[0].t}&limit=2`)
      ).body.candles;
      expect(before.every((c) => c.t < recent[0].t)).toBe(true);
      const forward: Candle[] = (
        await get(`/api/instruments/BTCUSD/candles?interval=1s&from=${recent[0].t}&limit=2`)
      ).body.candles;
      expect(forward.map((c) => c.t)).toEqual(recent.slice(0, 2).map((c) => c.t));
    });

    it('serves a settled range the same from its cache as when it was first built', async () => {
      const now = Date.now();
      const to = Math.floor((now - 6000) / 1000) * 1000;
      const path = `/api/instruments/BTCUSD/candles?interval=1s&from=${to - 3000}&to=${to}`;
      const first = await get(path)
        .expect(200)
        .expect('Content-Type', /application\/json/);
      const again = await get(path).expect(200);
      expect(again.body).toEqual(first.body);
      expect(first.headers.etag).toBeDefined();
      expect(again.headers.etag).toBe(first.headers.etag);
      await request(sut.url).get(path).set('If-None-Match', first.headers.etag).expect(304);
      const fresh = await get(
        `/api/instruments/BTCUSD/candles?interval=1s&to=${to}&limit=3`,
      ).expect(200);
      expect(first.body.candles).toEqual(fresh.body.candles);
      expect(first.body.candles.map((c: Candle) => c.t)).toEqual([to - 3000, to - 2000, to - 1000]);
    });

    it.each([
      ['', /interval must be one of/],
      ['interval=2m', /interval must be one of 1s, 1m, 5m, 15m, 1h, 1d/],
      ['interval=1m&limit=9999', /limit/],
      ['interval=1m&from=2026-02-30T00:00:00Z', /from/],
    ])('400 for %j', async (query, message) => {
      const res = await get(`/api/instruments/AAPL/candles?${query}`).expect(400);
      expect(res.body.message).toMatch(message);
    });
  });

  describe('GET /api/quotes/latest', () => {
    it('gives every instrument a snapshot with day statistics when no symbols are given', async () => {
      const res = await get('/api/quotes/latest').expect(200);
      const quotes: Snapshot[] = res.body.quotes;
      expect(quotes.length).toBeGreaterThanOrEqual(40);
      for (const q of quotes) {
        expect(q.low).toBeLessThanOrEqual(q.high);
        expect(q.last).toBeGreaterThanOrEqual(q.low);
        expect(q.last).toBeLessThanOrEqual(q.high);
        expect(q.change).toBeCloseTo(q.last - q.prevClose, 8);
        expect(q.changePct).toBeCloseTo(((q.last - q.prevClose) / q.prevClose) * 100, 3);
      }
    });

    it('filters by symbols in any case and 404s naming every unknown one', async () => {
      const ok = await get('/api/quotes/latest?symbols=aapl,BTCUSD').expect(200);
      expect(ok.body.quotes.map((q: Snapshot) => q.symbol)).toEqual(['AAPL', 'BTCUSD']);
      const bad = await get('/api/quotes/latest?symbols=AAPL,NOPE,ZZZ').expect(404);
      expect(bad.body.message).toMatch(/NOPE, ZZZ/);
    });

    it('includes the snapshot as `quote` on the instrument', async () => {
      const res = await get('/api/instruments/AAPL').expect(200);
      expect(res.body.quote).toMatchObject({
        symbol: 'AAPL',
        seq: expect.any(Number),
        prevClose: expect.any(Number),
      });
    });
  });

  it('publishes the OpenAPI document', async () => {
    const res = await get('/api/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/instruments',
        '/api/instruments/{symbol}',
        '/api/instruments/{symbol}/quotes',
        '/api/instruments/{symbol}/candles',
        '/api/quotes/latest',
      ]),
    );
  });
});
