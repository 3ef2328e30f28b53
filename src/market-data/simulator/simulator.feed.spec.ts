import { afterAll, beforeAll, jest } from '@jest/globals';
import type { Tick } from '../../contracts';
import { ManualClock } from '../../common/clock';
import { CATALOG } from '../../instruments/catalog';
import { bySymbol, describePriceFeedContract } from '../price-feed.contract';
import { SimulatorFeed } from './simulator.feed';

const START = Date.UTC(2026, 0, 5, 12, 0, 0);

function run(seed: number, ms: number, tickRate = 400, last = new Map<string, Tick>()) {
  const clock = new ManualClock(START);
  const sut = new SimulatorFeed(CATALOG, clock, { seed, tickRate });
  const ticks: Tick[] = [];
  sut.subscribe((t) => ticks.push(t));
  sut.start(last);
  sut.stop(); // drive it by hand, without timers
  for (let t = 0; t < ms; t += 10) {
    clock.advance(10);
    sut.emitDue(clock.now());
  }
  return ticks;
}

// What every PriceFeed promises (seq, book, grid, volume, continuing from stored ticks, stop) is
// in the contract suite below; these are the simulator's own properties.
describe('SimulatorFeed', () => {
  const ticks = run(42, 60_000);

  it('emits at the configured combined rate, every instrument ticking', () => {
    const perSecond = ticks.length / 60;
    expect(perSecond).toBeGreaterThan(400 * 0.85);
    expect(perSecond).toBeLessThan(400 * 1.15);
    expect(bySymbol(ticks).size).toBe(CATALOG.length);
  });

  it('ticks liquid instruments more often than illiquid ones', () => {
    const groups = bySymbol(ticks);
    expect(groups.get('AAPL')!.length).toBeGreaterThan(2 * groups.get('KO')!.length);
  });

  it('gives the same prices for the same seed and different ones for another seed', () => {
    const again = run(42, 60_000);
    expect(again.map((t) => [t.symbol, t.seq, t.bid, t.ask, t.last])).toEqual(
      ticks.map((t) => [t.symbol, t.seq, t.bid, t.ask, t.last]),
    );
    const other = run(43, 60_000);
    const aapl = (xs: Tick[]) => xs.filter((t) => t.symbol === 'AAPL').map((t) => t.last);
    expect(aapl(other)).not.toEqual(aapl(ticks));
  });
});

describe('SimulatorFeed handed over to another node', () => {
  const prices = (t: Tick) => [t.symbol, t.seq, t.bid, t.ask, t.last, t.size, t.bidSize, t.askSize];

  /** Runs 20 s, hands over at 10 s with or without the mids, and returns both halves. */
  function handOver(withMids: boolean) {
    const clock = new ManualClock(START);
    const first = new SimulatorFeed(CATALOG, clock, { seed: 42, tickRate: 400 });
    const seen: Array<{ tick: Tick; mid?: number }> = [];
    first.subscribe((tick, mid) => seen.push({ tick, mid }));
    first.start(new Map());
    first.stop();
    const drive = (feed: SimulatorFeed, ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        clock.advance(10);
        feed.emitDue(clock.now());
      }
    };
    drive(first, 10_000);
    const last = new Map<string, Tick>();
    const mids = new Map<string, number>();
    for (const { tick, mid } of seen) {
      last.set(tick.symbol, tick);
      mids.set(tick.symbol, mid!);
    }
    // The uninterrupted run, for comparison: the same feed, 10 s more.
    const handed = seen.length;
    drive(first, 10_000);
    const uninterrupted = seen.slice(handed).map((s) => s.tick);

    clock.set(START + 10_000);
    const second = new SimulatorFeed(CATALOG, clock, { seed: 42, tickRate: 400 });
    const continued: Tick[] = [];
    second.subscribe((tick) => continued.push(tick));
    second.start(last, withMids ? { mids } : {});
    second.stop();
    drive(second, 10_000);
    return { last, uninterrupted, continued };
  }

  it('continues every symbol exactly (same prices and sizes, seq + 1) from the carried mids', () => {
    const { last, uninterrupted, continued } = handOver(true);
    const groups = bySymbol(continued);
    const expected = bySymbol(uninterrupted);
    for (const [symbol, ticks] of groups) {
      expect(ticks[0].seq).toBe(last.get(symbol)!.seq + 1);
      const n = Math.min(ticks.length, expected.get(symbol)?.length ?? 0);
      expect(ticks.slice(0, n).map(prices)).toEqual(expected.get(symbol)!.slice(0, n).map(prices));
    }
  });

  it('drifts from the uninterrupted market without them (the mid between bid and ask is lost)', () => {
    const { uninterrupted, continued } = handOver(false);
    const expected = bySymbol(uninterrupted);
    const differing = [...bySymbol(continued)].filter(([symbol, ticks]) => {
      const other = expected.get(symbol) ?? [];
      const n = Math.min(ticks.length, other.length);
      return (
        JSON.stringify(ticks.slice(0, n).map(prices)) !==
        JSON.stringify(other.slice(0, n).map(prices))
      );
    });
    expect(differing.length).toBeGreaterThan(0);
  });
});

describe('SimulatorFeed on its own scheduler (timers faked)', () => {
  beforeAll(() => {
    jest.useFakeTimers();
  });
  afterAll(() => {
    jest.useRealTimers();
  });

  describePriceFeedContract('SimulatorFeed', () => {
    const clock = new ManualClock(START);
    const feed = new SimulatorFeed(CATALOG, clock, { seed: 42, tickRate: 400 });
    return {
      feed,
      entries: CATALOG,
      advance: (ms) => {
        clock.advance(ms);
        jest.advanceTimersByTime(ms);
      },
    };
  });
});
