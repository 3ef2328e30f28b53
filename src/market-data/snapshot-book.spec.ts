import type { Tick } from '../contracts';
import { SnapshotBook } from './snapshot-book';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 10);
const tick = (seq: number, ts: number, last: number): Tick => ({
  symbol: 'A',
  seq,
  ts,
  bid: last - 0.01,
  ask: last + 0.01,
  last,
  size: 1,
  volume: seq,
  bidSize: 1,
  askSize: 2,
});

describe('SnapshotBook', () => {
  it('tracks the UTC day open, high, low and change against the previous close', () => {
    const sut = new SnapshotBook();
    sut.seed('A', undefined, { day: T0, open: 100, high: 101, low: 99, prevClose: 98 });
    sut.apply(tick(1, T0 + 1000, 102));
    sut.apply(tick(2, T0 + 2000, 97));
    expect(sut.get('A')).toMatchObject({
      seq: 2,
      last: 97,
      open: 100,
      high: 102,
      low: 97,
      prevClose: 98,
      change: -1,
      changePct: -1.0204,
    });
  });

  it('rolls over at UTC midnight: the last price becomes the previous close', () => {
    const sut = new SnapshotBook();
    sut.apply(tick(1, T0 + 1000, 50));
    sut.apply(tick(2, T0 + DAY - 1, 52));
    sut.apply(tick(3, T0 + DAY + 5, 51));
    expect(sut.get('A')).toMatchObject({ open: 51, high: 51, low: 51, prevClose: 52, change: -1 });
  });

  it('continues a stored day after a restart', () => {
    const sut = new SnapshotBook();
    const last = tick(10, T0 + 5000, 100.5);
    sut.seed('A', last, { day: T0, open: 100, high: 103, low: 95, prevClose: 99 });
    expect(sut.get('A')).toMatchObject({ seq: 10, high: 103, low: 95, prevClose: 99 });
    sut.apply(tick(11, T0 + 6000, 104));
    expect(sut.get('A')).toMatchObject({ high: 104, open: 100 });
  });

  it('has no snapshot before the first tick', () => {
    const sut = new SnapshotBook();
    sut.seed('A', undefined, { prevClose: 10 });
    expect(sut.get('A')).toBeUndefined();
  });
});
