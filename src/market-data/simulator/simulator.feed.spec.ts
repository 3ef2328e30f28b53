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
