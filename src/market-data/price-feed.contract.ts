// The behaviour every PriceFeed must show; each implementation's spec runs it against itself.
import { describe, expect, it } from '@jest/globals';
import type { Tick } from '../contracts';
import type { CatalogEntry } from '../instruments/catalog';
import type { PriceFeed } from './price-feed';

/** A feed under test and the means to let its time pass. */
export interface PriceFeedHarness {
  feed: PriceFeed;
  /** The instruments the feed was built for. */
  entries: readonly CatalogEntry[];
  /** Lets `ms` of the feed's time pass: a started feed emits what falls due in it. */
  advance(ms: number): void;
}

/** Ticks grouped per symbol, in the order emitted. */
export function bySymbol(ticks: readonly Tick[]): Map<string, Tick[]> {
  const out = new Map<string, Tick[]>();
  for (const t of ticks) {
    const list = out.get(t.symbol) ?? [];
    list.push(t);
    out.set(t.symbol, list);
  }
  return out;
}

function onGrid(price: number, tickSize: number): boolean {
  const steps = price / tickSize;
  return Math.abs(steps - Math.round(steps)) < 1e-6;
}

export function describePriceFeedContract(name: string, create: () => PriceFeedHarness): void {
  describe(`PriceFeed contract: ${name}`, () => {
    /** Starts a fresh feed from `last`, lets `ms` pass in steps, and returns what it emitted. */
    function run(ms: number, last: ReadonlyMap<string, Tick> = new Map()) {
      const sut = create();
      const ticks: Tick[] = [];
      const unsubscribe = sut.feed.subscribe((t) => ticks.push(t));
      sut.feed.start(last);
      for (let t = 0; t < ms; t += 100) sut.advance(100);
      sut.feed.stop();
      unsubscribe();
      return { sut, ticks };
    }

    it('emits ticks of its instruments only, and of every one given time', () => {
      const { sut, ticks } = run(20_000);
      const symbols = new Set(sut.entries.map((e) => e.symbol));
      expect(ticks.length).toBeGreaterThan(0);
      for (const t of ticks) expect(symbols.has(t.symbol)).toBe(true);
      expect(new Set(ticks.map((t) => t.symbol))).toEqual(symbols);
    });

    it('starts seq at 1 on an empty store and raises it by exactly 1 per symbol', () => {
      const { ticks } = run(5_000);
      for (const [, list] of bySymbol(ticks)) list.forEach((t, i) => expect(t.seq).toBe(i + 1));
    });

    it('continues seq from `last` (last + 1, then +1) and price without a jump', () => {
      const first = run(5_000);
      const last = new Map<string, Tick>();
      for (const [symbol, list] of bySymbol(first.ticks)) last.set(symbol, list[list.length - 1]);
      const { ticks } = run(10_000, last);
      const resumed = bySymbol(ticks);
      expect(resumed.size).toBeGreaterThan(0);
      for (const [symbol, list] of resumed) {
        const prev = last.get(symbol);
        const base = prev?.seq ?? 0;
        list.forEach((t, i) => expect(t.seq).toBe(base + 1 + i));
        if (!prev) continue;
        expect(list[0].ts).toBeGreaterThan(prev.ts);
        const spread = prev.ask - prev.bid;
        expect(Math.abs(list[0].last - prev.last)).toBeLessThan(spread * 20 + prev.last * 0.01);
      }
    });

    it("continues after a reserved seq above the last tick, from the last tick's price", () => {
      const first = run(5_000);
      const last = new Map<string, Tick>();
      for (const [symbol, list] of bySymbol(first.ticks)) last.set(symbol, list[list.length - 1]);
      const after = new Map([...last].map(([symbol, t]) => [symbol, t.seq + 1_000]));
      const [fresh] = first.sut.entries.filter((e) => !last.has(e.symbol));
      if (fresh) after.set(fresh.symbol, 500);
      const sut = create();
      const ticks: Tick[] = [];
      sut.feed.subscribe((t) => ticks.push(t));
      sut.feed.start(last, { after });
      for (let t = 0; t < 10_000; t += 100) sut.advance(100);
      sut.feed.stop();
      const resumed = bySymbol(ticks);
      expect(resumed.size).toBeGreaterThan(0);
      for (const [symbol, list] of resumed) {
        const base = after.get(symbol) ?? 0;
        list.forEach((t, i) => expect(t.seq).toBe(base + 1 + i));
        const prev = last.get(symbol);
        if (!prev) continue;
        const spread = prev.ask - prev.bid;
        expect(Math.abs(list[0].last - prev.last)).toBeLessThan(spread * 20 + prev.last * 0.01);
      }
    });

    it('never emits past its allowance, and resumes with the next seq once allowed further', () => {
      const sut = create();
      const ticks: Tick[] = [];
      sut.feed.subscribe((t) => ticks.push(t));
      const [a, ...others] = sut.entries.map((e) => e.symbol);
      // Symbols left out of the map may emit nothing.
      sut.feed.start(new Map(), { allowed: new Map([[a, 3]]) });
      for (let t = 0; t < 20_000; t += 100) sut.advance(100);
      expect(ticks.map((t) => [t.symbol, t.seq])).toEqual([
        [a, 1],
        [a, 2],
        [a, 3],
      ]);

      sut.feed.allow(a, 2); // never lowers
      sut.feed.allow(a, 6);
      for (const symbol of others) sut.feed.allow(symbol, 2);
      for (let t = 0; t < 20_000; t += 100) sut.advance(100);
      sut.feed.stop();
      const seqs = new Map([...bySymbol(ticks)].map(([s, list]) => [s, list.map((t) => t.seq)]));
      expect(seqs.get(a)).toEqual([1, 2, 3, 4, 5, 6]);
      for (const symbol of others) expect(seqs.get(symbol)).toEqual([1, 2]);
      for (let i = 1; i < ticks.length; i++) {
        expect(ticks[i].ts).toBeGreaterThanOrEqual(ticks[i - 1].ts);
      }
    });

    it('keeps bid < ask, prices positive and on the tick grid, last within the book', () => {
      const { sut, ticks } = run(5_000);
      const tickSize = new Map(sut.entries.map((e) => [e.symbol, e.tickSize]));
      for (const t of ticks) {
        const size = tickSize.get(t.symbol)!;
        expect(t.bid).toBeGreaterThan(0);
        expect(t.bid).toBeLessThan(t.ask);
        expect(t.last).toBeGreaterThanOrEqual(t.bid);
        expect(t.last).toBeLessThanOrEqual(t.ask);
        for (const p of [t.bid, t.ask, t.last]) expect(onGrid(p, size)).toBe(true);
        expect(t.size).toBeGreaterThan(0);
        expect(t.bidSize).toBeGreaterThan(0);
        expect(t.askSize).toBeGreaterThan(0);
      }
    });

    it('emits ts non-decreasing, and accumulates volume per symbol', () => {
      const { ticks } = run(5_000);
      for (let i = 1; i < ticks.length; i++) {
        expect(ticks[i].ts).toBeGreaterThanOrEqual(ticks[i - 1].ts);
      }
      for (const [, list] of bySymbol(ticks)) {
        let sum = 0;
        for (const t of list) {
          sum += t.size;
          expect(t.volume).toBeCloseTo(sum, 6);
        }
      }
    });

    it('emits nothing once stopped', () => {
      const sut = create();
      const ticks: Tick[] = [];
      sut.feed.subscribe((t) => ticks.push(t));
      sut.feed.start(new Map());
      sut.advance(1_000);
      expect(ticks.length).toBeGreaterThan(0);
      sut.feed.stop();
      const before = ticks.length;
      for (let i = 0; i < 20; i++) sut.advance(100);
      expect(ticks.length).toBe(before);
    });

    it('stops calling a listener once it unsubscribes, and keeps calling the others', () => {
      const sut = create();
      const kept: Tick[] = [];
      const dropped: Tick[] = [];
      sut.feed.subscribe((t) => kept.push(t));
      const unsubscribe = sut.feed.subscribe((t) => dropped.push(t));
      sut.feed.start(new Map());
      sut.advance(1_000);
      expect(dropped).toEqual(kept);
      unsubscribe();
      const before = dropped.length;
      sut.advance(2_000);
      sut.feed.stop();
      expect(dropped.length).toBe(before);
      expect(kept.length).toBeGreaterThan(before);
    });
  });
}
