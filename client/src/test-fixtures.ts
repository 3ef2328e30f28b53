// Instruments, ticks and snapshots for the client's unit specs.
import type { Instrument, Snapshot, Tick } from '../../src/contracts';

/** A weekday afternoon, UTC. */
export const T0 = Date.UTC(2025, 2, 12, 14, 0, 0);

export function inst(symbol: string, name = `${symbol} Inc.`): Instrument {
  return {
    symbol,
    name,
    assetClass: 'equity',
    currency: 'USD',
    exchange: 'NASDAQ',
    tickSize: 0.01,
    pricePrecision: 2,
  };
}

export const CATALOG = [
  inst('AAPL', 'Apple Inc.'),
  inst('MSFT', 'Microsoft Corporation'),
  inst('NVDA', 'NVIDIA Corporation'),
  inst('TSLA', 'Tesla, Inc.'),
  inst('META', 'Meta Platforms, Inc.'),
];

export function tick(symbol: string, seq: number, last: number, ts = T0 + seq): Tick {
  return {
    symbol,
    seq,
    ts,
    bid: last - 0.01,
    ask: last + 0.01,
    bidSize: 500,
    askSize: 400,
    last,
    size: 100,
    volume: seq * 100,
  };
}

export function snap(
  symbol: string,
  seq: number,
  last: number,
  extra: Partial<Snapshot> = {},
): Snapshot {
  return {
    ...tick(symbol, seq, last),
    open: 100,
    high: Math.max(105, last),
    low: Math.min(95, last),
    prevClose: 100,
    change: last - 100,
    changePct: last - 100,
    ...extra,
  };
}

/** A clock the spec moves by hand. */
export function manualClock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}
