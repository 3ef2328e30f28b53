// What the simulator offers: each symbol's expected ticks per second at a combined TICK_RATE.
import { CATALOG, symbolTickRate, type CatalogEntry } from '../../src/instruments/catalog';

const ENTRIES = new Map<string, CatalogEntry>(CATALOG.map((e) => [e.symbol, e]));

/**
 * Expected ticks/s of one symbol. The simulator draws exponential gaps rounded to whole ms with a
 * 1 ms floor, which lengthens the mean gap noticeably once it is only a few ms; this is exact for that.
 */
export function symbolRate(symbol: string, tickRate: number): number {
  const entry = ENTRIES.get(symbol);
  if (entry === undefined) throw new Error(`unknown symbol ${symbol}`);
  const m = 1000 / symbolTickRate(entry, tickRate);
  if (m > 200) return 1000 / m;
  // E[max(1, round(X))], X ~ Exp(mean m).
  let mean = 1 - Math.exp(-0.5 / m);
  for (let n = 1; ; n++) {
    const p = Math.exp(-(n - 0.5) / m) - Math.exp(-(n + 0.5) / m);
    mean += n * p;
    if (p < 1e-12 && n > m) break;
  }
  return 1000 / mean;
}

/** Ticks/s a client subscribed to `symbols` is offered in full mode. */
export function clientRate(symbols: readonly string[], tickRate: number): number {
  let sum = 0;
  for (const s of symbols) sum += symbolRate(s, tickRate);
  return sum;
}
