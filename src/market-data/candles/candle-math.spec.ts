import type { Candle } from '../../contracts';
import { aggregate, applyTickToCandle, emptyCandle, rollUp } from './candle-math';

const T = Date.UTC(2026, 0, 5, 10, 0);
const MIN = 60_000;

function bar(k: number, o: number, h: number, l: number, c: number, v = 1, n = 1): Candle {
  return { t: T + k * MIN, o, h, l, c, v, n };
}

describe('candle maths', () => {
  it('aggregates open of the first, close of the last, extremes, sums', () => {
    const bars = [
      bar(0, 10, 12, 9, 11, 0.05, 2),
      bar(1, 11, 15, 10, 14, 0.05, 3),
      bar(2, 14, 14, 8, 9, 0.05, 1),
    ];
    expect(aggregate(bars, T)).toEqual({ t: T, o: 10, h: 15, l: 8, c: 9, v: 0.15, n: 6 });
  });

  it('lets empty bars carry the close without touching open, high or low', () => {
    const bars = [emptyCandle(T, 50), bar(1, 52, 53, 51, 52), emptyCandle(T + 2 * MIN, 52)];
    expect(aggregate(bars, T)).toEqual({ t: T, o: 52, h: 53, l: 51, c: 52, v: 1, n: 1 });
    expect(aggregate([emptyCandle(T, 50), emptyCandle(T + MIN, 50)])).toEqual(emptyCandle(T, 50));
  });

  it('gives the same candle trade by trade as from a fresh or empty start', () => {
    const fresh = emptyCandle(T, 0);
    const afterGap = emptyCandle(T, 99);
    for (const c of [fresh, afterGap]) {
      applyTickToCandle(c, 100, 1);
      applyTickToCandle(c, 98, 2);
      applyTickToCandle(c, 101, 1);
    }
    expect(afterGap).toEqual(fresh);
    expect(fresh).toEqual({ t: T, o: 100, h: 101, l: 98, c: 101, v: 4, n: 3 });
  });

  it('rolls 1m bars up into aligned 5m buckets', () => {
    const bars = Array.from({ length: 12 }, (_, k) => bar(k + 3, k, k + 1, k - 1, k + 0.5));
    const fives = rollUp(bars, '5m');
    expect(fives.map((c) => c.t)).toEqual([T, T + 5 * MIN, T + 10 * MIN]);
    expect(fives.map((c) => c.n)).toEqual([2, 5, 5]);
    expect(fives[1]).toEqual({ t: T + 5 * MIN, o: 2, h: 7, l: 1, c: 6.5, v: 5, n: 5 });
  });
});
