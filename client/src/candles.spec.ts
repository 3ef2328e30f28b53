import type { Candle } from '../../src/contracts';
import { barsToTrim, CandleBook, type BarCap } from './candles';

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

describe('barsToTrim', () => {
  const cap: BarCap = { max: 10, keep: 5, ceiling: 30, margin: 2 };

  it('keeps everything up to the cap', () => {
    expect(barsToTrim(0, null, cap)).toBe(0);
    expect(barsToTrim(10, 8, cap)).toBe(0);
  });

  it('past the cap, drops the oldest down to `keep`, in one batch', () => {
    expect(barsToTrim(11, null, cap)).toBe(6);
    expect(barsToTrim(11, 8, cap)).toBe(6);
  });

  it('keeps bars in view, and the margin left of them, until the ceiling', () => {
    // In view from bar 7: dropping 6 would leave 1 bar to its left, fewer than the margin.
    expect(barsToTrim(11, 7, cap)).toBe(0);
    expect(barsToTrim(30, 0, cap)).toBe(0);
    expect(barsToTrim(31, 0, cap)).toBe(26);
    expect(barsToTrim(31, -3, cap)).toBe(26);
  });

  it('bounds a chart fed one bar at a time however long it runs', () => {
    const book = new CandleBook();
    let most = 0;
    for (let t = 1; t <= 3_600; t++) {
      book.applyLive(c(t * 1000, t));
      book.dropOldest(barsToTrim(book.candles.length, null));
      most = Math.max(most, book.candles.length);
    }
    expect(most).toBe(1_000);
    expect(book.candles.length).toBeLessThanOrEqual(1_000);
    expect(book.last?.t).toBe(3_600_000);
  });
});

describe('CandleBook.dropOldest', () => {
  it('drops the oldest candles and lets older history be fetched again', () => {
    const sut = new CandleBook();
    sut.reset([c(1000, 1), c(2000, 2), c(3000, 3)]);
    sut.exhausted = true;
    sut.dropOldest(2);
    expect(sut.candles.map((k) => k.t)).toEqual([3000]);
    expect(sut.exhausted).toBe(false);
  });
});
