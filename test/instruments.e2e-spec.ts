import request from 'supertest';
import { startApp, type TestApp } from './support/app';

describe('Instruments REST (e2e)', () => {
  let sut: TestApp;
  beforeAll(async () => {
    // The catalog needs no ticks: the feed stays quiet.
    sut = await startApp({}, { fakeFeed: true });
  });
  afterAll(() => sut.close());

  it('lists at least 40 instruments across every asset class', async () => {
    const res = await request(sut.url).get('/api/instruments').expect(200);
    const list = res.body.instruments;
    expect(list.length).toBeGreaterThanOrEqual(40);
    expect(new Set(list.map((i: { assetClass: string }) => i.assetClass))).toEqual(
      new Set(['equity', 'etf', 'index', 'fx', 'crypto', 'commodity']),
    );
    for (const i of list) {
      expect(Object.keys(i).sort()).toEqual(
        [
          'assetClass',
          'currency',
          'exchange',
          'name',
          'pricePrecision',
          'symbol',
          'tickSize',
        ].sort(),
      );
      expect(i.symbol).toBe(i.symbol.toUpperCase());
    }
  });

  it('filters by asset class and by a substring of symbol or name, in any case', async () => {
    const fx = await request(sut.url).get('/api/instruments?assetClass=FX').expect(200);
    expect(fx.body.instruments.length).toBeGreaterThan(0);
    expect(fx.body.instruments.every((i: { assetClass: string }) => i.assetClass === 'fx')).toBe(
      true,
    );
    const apple = await request(sut.url).get('/api/instruments?q=apple').expect(200);
    expect(apple.body.instruments.map((i: { symbol: string }) => i.symbol)).toEqual(['AAPL']);
    type Listed = { symbol: string; name: string };
    const crypto = await request(sut.url).get('/api/instruments?assetClass=crypto').expect(200);
    const usd = await request(sut.url).get('/api/instruments?q=usd&assetClass=crypto').expect(200);
    const expected = (crypto.body.instruments as Listed[]).filter((i) =>
      `${i.symbol} ${i.name}`.toLowerCase().includes('usd'),
    );
    expect(expected.length).toBeGreaterThan(5);
    expect(usd.body.instruments).toEqual(expected);
  });

  it('rejects an unknown asset class with a 400 naming the parameter', async () => {
    const res = await request(sut.url).get('/api/instruments?assetClass=stocks').expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(res.body.message).toMatch(/assetClass/);
  });

  it('gets one instrument by symbol in any case', async () => {
    const res = await request(sut.url).get('/api/instruments/aapl').expect(200);
    expect(res.body).toMatchObject({
      symbol: 'AAPL',
      name: 'Apple Inc.',
      assetClass: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      pricePrecision: 2,
    });
  });

  it('answers 404 naming an unknown symbol', async () => {
    const res = await request(sut.url).get('/api/instruments/NOPE').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect(res.body.message).toContain('NOPE');
  });

  it('answers an unknown route with the same error shape', async () => {
    const res = await request(sut.url).get('/api/nothing-here').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect(typeof res.body.message).toBe('string');
  });
});
