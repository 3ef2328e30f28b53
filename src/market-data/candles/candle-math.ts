// OHLCV arithmetic shared by the live aggregator, the history backfill and their tests.
import { bucketStart, type Candle, type Interval } from '../../contracts';

/**
 * Volumes are sums of lot sizes such as 0.05, which binary floating point cannot hold exactly;
 * rounding to 8 decimals on the way out keeps stored and pushed figures free of that noise.
 */
export function roundVolume(v: number): number {
  return Number(v.toFixed(8));
}

/** A candle with no trade: it only carries the previous close forward. */
export function emptyCandle(t: number, close: number): Candle {
  return { t, o: close, h: close, l: close, c: close, v: 0, n: 0 };
}

/**
 * Adds one trade to `candle` in place. A candle with no trades yet (fresh, or an empty bucket's
 * placeholder) takes the trade as its open, so an empty prefix never shows up in o/h/l.
 */
export function applyTickToCandle(candle: Candle, price: number, size: number): void {
  if (candle.n === 0) {
    candle.o = candle.h = candle.l = candle.c = price;
  } else {
    if (price > candle.h) candle.h = price;
    if (price < candle.l) candle.l = price;
    candle.c = price;
  }
  candle.v += size;
  candle.n += 1;
}

/**
 * Folds `next` (the following, finer candle of the same bucket) into `into` in place. Empty
 * candles add nothing: their prices are the previous close, already `into`'s close, and letting
 * them set o/h/l would make a 5m candle differ from the same trades aggregated live.
 */
export function mergeCandle(into: Candle, next: Candle): void {
  if (next.n === 0) return;
  if (into.n === 0) {
    into.o = next.o;
    into.h = next.h;
    into.l = next.l;
  } else {
    if (next.h > into.h) into.h = next.h;
    if (next.l < into.l) into.l = next.l;
  }
  into.c = next.c;
  into.v += next.v;
  into.n += next.n;
}

/**
 * The candle of a coarser bucket starting at `t` from its finer candles in time order: open of
 * the first traded one, close of the last, extreme high and low, summed volume and count. All
 * empty gives the (shared) previous close of the empty ones.
 */
export function aggregate(candles: readonly Candle[], t: number = candles[0]?.t): Candle {
  if (candles.length === 0) throw new RangeError('aggregate() needs at least one candle');
  const first = candles[0];
  const out: Candle = { t, o: first.o, h: first.h, l: first.l, c: first.c, v: 0, n: 0 };
  for (const candle of candles) mergeCandle(out, candle);
  out.v = roundVolume(out.v);
  return out;
}

/** Groups finer candles (ascending by t) into `interval` buckets and aggregates each one. */
export function rollUp(candles: readonly Candle[], interval: Interval): Candle[] {
  const out: Candle[] = [];
  let group: Candle[] = [];
  let groupT = Number.NaN;
  for (const candle of candles) {
    const t = bucketStart(candle.t, interval);
    if (t !== groupT && group.length > 0) {
      out.push(aggregate(group, groupT));
      group = [];
    }
    groupT = t;
    group.push(candle);
  }
  if (group.length > 0) out.push(aggregate(group, groupT));
  return out;
}
