import { ManualClock } from '../common/clock';
import { CATALOG } from '../instruments/catalog';
import { describePriceFeedContract } from './price-feed.contract';
import { FakePriceFeed } from './price-feed.fake';

const START = Date.UTC(2026, 0, 5, 12, 0, 0);

describePriceFeedContract('FakePriceFeed', () => {
  const clock = new ManualClock(START);
  const feed = new FakePriceFeed(CATALOG, clock);
  return {
    feed,
    entries: CATALOG,
    advance: (ms) => {
      clock.advance(ms);
      feed.tickAll();
    },
  };
});

describe('FakePriceFeed', () => {
  it('emits what the test asks for, stamped with its clock, and returns it', () => {
    const clock = new ManualClock(START);
    const sut = new FakePriceFeed(CATALOG, clock);
    const seen: number[] = [];
    sut.subscribe((t) => seen.push(t.seq));
    sut.start(new Map());
    const ticks = sut.emit('AAPL', 3);
    expect(ticks.map((t) => [t.symbol, t.seq, t.ts])).toEqual([
      ['AAPL', 1, START],
      ['AAPL', 2, START],
      ['AAPL', 3, START],
    ]);
    expect(seen).toEqual([1, 2, 3]);
    expect(sut.tickAll(2)).toHaveLength(2 * CATALOG.length);
  });

  it('gives the same ticks for the same steps', () => {
    const make = () => {
      const feed = new FakePriceFeed(CATALOG, new ManualClock(START));
      feed.start(new Map());
      return feed.tickAll(5);
    };
    expect(make()).toEqual(make());
  });

  it('refuses a symbol it does not feed', () => {
    const sut = new FakePriceFeed(CATALOG.slice(0, 2), new ManualClock(START));
    sut.start(new Map());
    expect(() => sut.emit('NOPE')).toThrow(/NOPE/);
  });
});
