import type { Tick } from '../contracts';
import { RecentTicks } from './recent-ticks';

const tick = (symbol: string, seq: number): Tick => ({
  symbol,
  seq,
  ts: 1000 + seq,
  bid: 1,
  ask: 2,
  last: 1,
  size: 1,
  volume: seq,
  bidSize: 1,
  askSize: 2,
});

describe('RecentTicks', () => {
  it('keeps the last `capacity` ticks per symbol, oldest first', () => {
    const sut = new RecentTicks(4);
    for (let s = 1; s <= 10; s++) sut.push(tick('A', s));
    sut.push(tick('B', 1));
    expect(sut.firstSeq('A')).toBe(7);
    expect(sut.lastSeq('A')).toBe(10);
    expect(sut.after('A', 0).map((t) => t.seq)).toEqual([7, 8, 9, 10]);
    expect(sut.after('A', 8).map((t) => t.seq)).toEqual([9, 10]);
    expect(sut.after('A', 10)).toEqual([]);
    expect(sut.after('B', 0).map((t) => t.seq)).toEqual([1]);
    expect(sut.after('C', 0)).toEqual([]);
    expect(sut.firstSeq('C')).toBeUndefined();
  });

  it('selects by time range, from inclusive and to exclusive', () => {
    const sut = new RecentTicks(8);
    for (let s = 1; s <= 6; s++) sut.push(tick('A', s));
    expect(sut.inRange('A', 1002, 1005).map((t) => t.seq)).toEqual([2, 3, 4]);
  });
});

describe('RecentTicks as stored numbers', () => {
  it('gives back each tick exactly as pushed, in the same JSON, across wrap-arounds', () => {
    const sut = new RecentTicks(3);
    const pushed: Tick[] = [];
    for (let seq = 1; seq <= 7; seq++) {
      const t: Tick = {
        symbol: 'BTCUSD',
        seq,
        ts: 1_733_300_000_123 + seq,
        bid: 37_273.72 - seq / 100,
        ask: 37_273.75,
        bidSize: 0.00012345,
        askSize: 1.5 * seq,
        last: -0.01 * seq,
        size: 0.125,
        volume: 123_456_789.12345678 + seq,
      };
      pushed.push(t);
      sut.push(t);
    }
    expect(sut.after('BTCUSD', 0).map((t) => JSON.stringify(t))).toEqual(
      pushed.slice(4).map((t) => JSON.stringify(t)),
    );
    expect(sut.inRange('BTCUSD', pushed[5].ts).map((t) => t.seq)).toEqual([6, 7]);
  });
});
