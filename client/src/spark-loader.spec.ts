import { utcDay, type Candle, type Interval } from '../../src/contracts';
import type { CandleQuery } from './api';
import { Lifetime } from './lifetime';
import { parsePrefs } from './preferences';
import { SparkLoader } from './spark-loader';
import { DashboardStore } from './store';
import { CATALOG, T0 } from './test-fixtures';

describe('SparkLoader', () => {
  it("loads today's 5-minute candles a few symbols at a time, a waiting symbol once", async () => {
    const watchlist = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'META'];
    const store = new DashboardStore({ ...parsePrefs(null), watchlist, selected: 'AAPL' });
    store.setCatalog(CATALOG);
    const life = new Lifetime();
    const requests: Array<{ symbol: string; interval: Interval; q?: CandleQuery }> = [];
    const pending: Array<() => void> = [];
    let inFlight = 0;
    let most = 0;
    const api = {
      candles: (symbol: string, interval: Interval, q?: CandleQuery) => {
        requests.push({ symbol, interval, q });
        most = Math.max(most, ++inFlight);
        const candle: Candle = { t: utcDay(T0), o: 1, h: 1, l: 1, c: 42, v: 1, n: 1 };
        return new Promise<Candle[]>((resolve) =>
          pending.push(() => {
            inFlight--;
            resolve([candle]);
          }),
        );
      },
    };
    const sut = new SparkLoader(api, store, life, () => T0);
    sut.load(watchlist);
    sut.load(['META']); // still waiting: not queued twice
    while (pending.length) {
      pending.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(most).toBe(3);
    expect(requests.map((r) => r.symbol).sort()).toEqual([...watchlist].sort());
    expect(requests[0]).toEqual({
      symbol: 'AAPL',
      interval: '5m',
      q: { from: utcDay(T0), limit: 288 },
    });
    expect(store.sparks.get('META')?.c).toEqual([42]);
    life.destroy();
  });
});
