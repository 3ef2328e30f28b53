import { afterAll, beforeAll, jest } from '@jest/globals';
import type { Tick } from '../../contracts';
import { ManualClock } from '../../common/clock';
import { CATALOG } from '../../instruments/catalog';
import { describePriceFeedContract } from '../price-feed.contract';
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

function bySymbol(ticks: Tick[]): Map<string, Tick[]> {
  const out = new Map<string, Tick[]>();
  for (const t of ticks) {
    const list = out.get(t.symbol) ?? [];
    list.push(t);
    out.set(t.symbol, list);
  }
  return out;
}

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

  it('starts seq at 1 and raises it by exactly 1 per symbol, with ts non-decreasing', () => {
    for (const [, list] of bySymbol(ticks)) {
      list.forEach((t, i) => expect(t.seq).toBe(i + 1));
      for (let i = 1; i < list.length; i++)
        expect(list[i].ts).toBeGreaterThanOrEqual(list[i - 1].ts);
    }
  });

  it('keeps bid < ask, prices positive and on the tick grid, last within the book', () => {
    const tick = new Map(CATALOG.map((e) => [e.symbol, e.tickSize]));
    for (const t of ticks) {
      const size = tick.get(t.symbol)!;
      expect(t.bid).toBeLessThan(t.ask);
      expect(t.bid).toBeGreaterThan(0);
      expect(t.last).toBeGreaterThanOrEqual(t.bid);
      expect(t.last).toBeLessThanOrEqual(t.ask);
      for (const p of [t.bid, t.ask, t.last]) {
        const steps = p / size;
        expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-6);
      }
      expect(t.size).toBeGreaterThan(0);
    }
  });

  it('accumulates volume through the UTC day', () => {
    for (const [, list] of bySymbol(ticks)) {
      let sum = 0;
      for (const t of list) {
        sum += t.size;
        expect(t.volume).toBeCloseTo(sum, 6);
      }
    }
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

  it('continues price and seq from a stored tick after a restart', () => {
    const groups = bySymbol(ticks);
    const last = new Map([...groups].map(([s, list]) => [s, list[list.length - 1]]));
    const resumed = bySymbol(run(42, 5_000, 400, last));
    for (const [symbol, list] of resumed) {
      const prev = last.get(symbol)!;
      expect(list[0].seq).toBe(prev.seq + 1);
      expect(list[0].ts).toBeGreaterThan(prev.ts);
      // No jump: the first price after the restart is within a few spreads of the stored one.
      const spread = prev.ask - prev.bid;
      expect(Math.abs(list[0].last - prev.last)).toBeLessThan(spread * 20 + prev.last * 0.01);
    }
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
