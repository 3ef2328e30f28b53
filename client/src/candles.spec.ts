import type { Candle } from '../../src/contracts';
import { CandleBook } from './candles';

const c = (t: number, close: number, v = 1): Candle => ({
  t,
  o: close,
  h: close,
  l: close,
  c: close,
  v,
  n: 1,
});

describe('CandleBook', () => {
  it('keeps history ascending with one candle per bucket', () => {
    const sut = new CandleBook();
    sut.reset([c(3000, 3), c(1000, 1), c(2000, 2), c(2000, 2.5)]);
    expect(sut.candles.map((k) => [k.t, k.c])).toEqual([
      [1000, 1],
      [2000, 2.5],
      [3000, 3],
    ]);
  });

  it('updates the open candle, appends the next, and refuses to go backwards', () => {
    const sut = new CandleBook();
    sut.reset([c(1000, 1), c(2000, 2)]);
    expect(sut.applyLive(c(2000, 2.2))).toBe('updated');
    expect(sut.applyLive(c(3000, 3))).toBe('appended');
    expect(sut.applyLive(c(2000, 9))).toBe('ignored');
    expect(sut.candles.map((k) => k.c)).toEqual([1, 2.2, 3]);
    expect(sut.last?.t).toBe(3000);
  });

  it('prepends older pages and knows when history is exhausted', () => {
    const sut = new CandleBook();
    sut.reset([c(3000, 3), c(4000, 4)]);
    expect(sut.prepend([c(1000, 1), c(2000, 2), c(3000, 99)], 3)).toBe(2);
    expect(sut.candles.map((k) => k.c)).toEqual([1, 2, 3, 4]);
    expect(sut.exhausted).toBe(false);
    expect(sut.prepend([c(500, 0.5)], 3)).toBe(1);
    expect(sut.exhausted).toBe(true);
    expect(sut.first?.t).toBe(500);
  });

  it('starts a chart from live candles alone when history is missing', () => {
    const sut = new CandleBook();
    expect(sut.applyLive(c(1000, 1))).toBe('appended');
    expect(sut.candles).toHaveLength(1);
  });
});
