import { INTERVAL_MS } from '../../src/contracts';
import { SessionSeries, SPARK_BUCKET_MS, sparkPath } from './spark';

const DAY = INTERVAL_MS['1d'];
const D0 = Date.UTC(2025, 2, 12);

describe('SessionSeries', () => {
  it('keeps the last price per 5-minute bucket of the UTC day', () => {
    const sut = new SessionSeries();
    expect(sut.addPrice(D0 + 1000, 10)).toBe(true);
    expect(sut.addPrice(D0 + 2000, 11)).toBe(true);
    expect(sut.addPrice(D0 + 3000, 11)).toBe(false);
    expect(sut.addPrice(D0 + SPARK_BUCKET_MS, 12)).toBe(true);
    expect(sut.t).toEqual([D0, D0 + SPARK_BUCKET_MS]);
    expect(sut.c).toEqual([11, 12]);
  });

  it('fills earlier buckets from history without overwriting live prices', () => {
    const sut = new SessionSeries();
    sut.addPrice(D0 + 2 * SPARK_BUCKET_MS + 5, 20);
    sut.addCandles([
      { t: D0, o: 1, h: 1, l: 1, c: 10, v: 1, n: 1 },
      { t: D0 + SPARK_BUCKET_MS, o: 1, h: 1, l: 1, c: 15, v: 1, n: 1 },
      { t: D0 + 2 * SPARK_BUCKET_MS, o: 1, h: 1, l: 1, c: 19, v: 1, n: 1 },
    ]);
    expect(sut.c).toEqual([10, 15, 20]);
  });

  it('starts over on a new UTC day and ignores the previous one', () => {
    const sut = new SessionSeries();
    sut.addPrice(D0 + 1000, 10);
    sut.addPrice(D0 + DAY + 1000, 30);
    expect(sut.session).toBe(D0 + DAY);
    expect(sut.c).toEqual([30]);
    expect(sut.addPrice(D0 + 5000, 11)).toBe(false);
  });
});

describe('sparkPath', () => {
  it('scales the line into the box, keeping the previous close in range', () => {
    expect(sparkPath([], 100, 20)).toBe('');
    expect(sparkPath([1, 2, 3], 100, 22)).toBe('M0.0 21.0L50.0 11.0L100.0 1.0');
    // The baseline 0 stretches the range: 1..3 sits in the upper part.
    expect(sparkPath([1, 3], 100, 22, 0)).toBe('M0.0 14.3L100.0 1.0');
    expect(sparkPath([5], 100, 22)).toBe('M0 21.0L100 21.0');
  });
});
