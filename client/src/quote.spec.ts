import { INTERVAL_MS, utcDay } from '../../src/contracts';
import { applyTick, mergeExtremes, quoteFromSnapshot, quoteFromTick } from './quote';
import { snap, T0, tick } from './test-fixtures';

const NEXT_DAY = utcDay(T0) + INTERVAL_MS['1d'];

describe('quote maths', () => {
  it('takes a snapshot whole, keeping the wider extremes of the same day', () => {
    const first = quoteFromSnapshot(snap('AAPL', 1, 100, { high: 110 }), undefined, T0, 1);
    expect(first).toMatchObject({ high: 110, low: 95, day: utcDay(T0), direction: 0, epoch: 1 });
    expect(first).not.toHaveProperty('change');
    const next = quoteFromSnapshot(snap('AAPL', 2, 99, { high: 104 }), first, T0 + 1, 2);
    expect(next).toMatchObject({ high: 110, low: 95, direction: -1, streamed: false });
    const tomorrow = quoteFromSnapshot(
      snap('AAPL', 3, 99, { ts: NEXT_DAY + 1, high: 104 }),
      next,
      T0,
      2,
    );
    expect(tomorrow).toMatchObject({ high: 104, day: NEXT_DAY });
  });

  it('rolls the day over at the UTC midnight: previous close, open, high and low reset', () => {
    const q = quoteFromSnapshot(snap('AAPL', 1, 101), undefined, T0, 1);
    applyTick(q, tick('AAPL', 2, 103, NEXT_DAY + 5), T0 + 100, 1);
    expect(q).toMatchObject({
      prevClose: 101,
      open: 103,
      high: 103,
      low: 103,
      day: NEXT_DAY,
      direction: 1,
      streamed: true,
      updates: 1,
      meanGapMs: 100,
    });
  });

  it('leaves the day figures of a tick that beat its snapshot unknown', () => {
    const q = quoteFromTick(tick('AAPL', 8, 101), T0, 3);
    expect(q).toMatchObject({ high: 101, low: 101, epoch: 3, updates: 1 });
    expect(q.prevClose).toBeNaN();
    expect(q.open).toBeNaN();
  });

  it('widens the extremes from an older snapshot of the same day only', () => {
    const q = quoteFromSnapshot(snap('AAPL', 10, 100), undefined, T0, 1);
    expect(mergeExtremes(q, snap('AAPL', 9, 99, { high: 130, low: 80 }))).toBe(true);
    expect(q).toMatchObject({ high: 130, low: 80, last: 100 });
    expect(mergeExtremes(q, snap('AAPL', 9, 99, { high: 120, low: 90 }))).toBe(false);
    expect(mergeExtremes(q, snap('AAPL', 9, 99, { ts: NEXT_DAY, high: 999 }))).toBe(false);
  });
});
