// The baselines' market data: the same simulator, catalog, seed and rate that Tickerboard runs.
import { SystemClock } from '../../../src/common/clock';
import { DEFAULTS } from '../../../src/config/defaults';
import { CATALOG } from '../../../src/instruments/catalog';
import { SimulatorFeed } from '../../../src/market-data/simulator/simulator.feed';

export interface BaselineEnv {
  port: number;
  tickRate: number;
  seed: number;
  batchMs: number;
}

export function baselineEnv(): BaselineEnv {
  const num = (name: string, fallback: number): number => {
    const v = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(v)) throw new Error(`${name} must be a number`);
    return v;
  };
  return {
    port: num('PORT', DEFAULTS.port),
    tickRate: num('TICK_RATE', DEFAULTS.tickRate),
    seed: num('SEED', DEFAULTS.seed),
    batchMs: num('BATCH_MS', DEFAULTS.batchMs),
  };
}

export function createFeed(env: BaselineEnv): SimulatorFeed {
  return new SimulatorFeed(CATALOG, new SystemClock(), { seed: env.seed, tickRate: env.tickRate });
}

export const SYMBOLS: ReadonlySet<string> = new Set(CATALOG.map((e) => e.symbol));

export function validSymbols(payload: unknown): string[] | undefined {
  const symbols = (payload as { symbols?: unknown } | null)?.symbols;
  if (!Array.isArray(symbols)) return undefined;
  const out = symbols.map((s) => String(s).toUpperCase());
  return out.every((s) => SYMBOLS.has(s)) ? out : undefined;
}
