// The server's half of the compact tick encoding (src/contracts/compact-ticks.ts has the format
// and the decoder): entries of keyframes and deltas, as JSON text. A delta is written only when
// the decoder's arithmetic gives back every field of the tick exactly; otherwise a keyframe.
import {
  impliedVolume,
  MAX_COMPACT_PRECISION,
  PRICE_SCALES,
  priceUnits,
  type Tick,
} from '../contracts';

/** Price units past which a delta is not written, so that sums of them stay exact integers. */
const MAX_UNITS = 2 ** 51;

/**
 * The precision a symbol's compact entries count prices in: its price precision, capped to what
 * a keyframe may name (a finer price then goes as a keyframe, as every inexact delta does).
 */
export function compactPrecision(pricePrecision: number): number {
  return Number.isInteger(pricePrecision) && pricePrecision >= 0
    ? Math.min(pricePrecision, MAX_COMPACT_PRECISION)
    : MAX_COMPACT_PRECISION;
}

/** The start of a symbol's entry, up to its first item: `["AAPL"`. */
export function compactHead(symbol: string): string {
  return `[${JSON.stringify(symbol)}`;
}

/** A keyframe: [seq, ts, bid, ask, bidSize, askSize, last, size, volume, precision]. */
export function compactKeyframe(t: Tick, precision: number): string {
  return JSON.stringify([
    t.seq,
    t.ts,
    t.bid,
    t.ask,
    t.bidSize,
    t.askSize,
    t.last,
    t.size,
    t.volume,
    precision,
  ]);
}

/**
 * The delta from `prev` to `t` (`dts,dbid,dspread,lastOffset,bidSize,askSize,size`), or undefined
 * when the decoder could not give `t` back exactly from it: a seq that does not follow, a price
 * off the unit grid, a volume that is not the previous one plus the size (a new day), a number
 * JSON cannot carry.
 */
export function compactDelta(prev: Tick, t: Tick, scale: number): string | undefined {
  if (t.seq !== prev.seq + 1) return undefined;
  const dts = t.ts - prev.ts;
  if (!Number.isSafeInteger(dts) || prev.ts + dts !== t.ts) return undefined;
  const bid = priceUnits(t.bid, scale);
  const ask = priceUnits(t.ask, scale);
  const last = priceUnits(t.last, scale);
  if (!(Math.abs(bid) <= MAX_UNITS && Math.abs(ask) <= MAX_UNITS && Math.abs(last) <= MAX_UNITS)) {
    return undefined;
  }
  if (bid / scale !== t.bid || ask / scale !== t.ask || last / scale !== t.last) return undefined;
  const prevBid = priceUnits(prev.bid, scale);
  const prevSpread = priceUnits(prev.ask, scale) - prevBid;
  if (!(Math.abs(prevBid) <= MAX_UNITS && Math.abs(prevSpread) <= 2 * MAX_UNITS)) return undefined;
  const { bidSize, askSize, size } = t;
  if (!(Number.isFinite(bidSize) && Number.isFinite(askSize) && Number.isFinite(size))) {
    return undefined;
  }
  if (impliedVolume(prev.volume, size) !== t.volume) return undefined;
  return `${dts},${bid - prevBid},${ask - bid - prevSpread},${last - bid},${bidSize},${askSize},${size}`;
}

/**
 * One symbol's entry for ticks[from..to): each tick as a delta against the one before it (`prev`
 * for the first: the last tick the receiver holds, if any), or as a keyframe where a delta cannot
 * be exact.
 */
export function compactEntry(
  head: string,
  ticks: readonly Tick[],
  from: number,
  to: number,
  prev: Tick | undefined,
  precision: number,
): string {
  const scale = PRICE_SCALES[precision];
  let out = head;
  for (let i = from; i < to; i++) {
    const t = ticks[i];
    const delta = prev === undefined ? undefined : compactDelta(prev, t, scale);
    out += delta === undefined ? `,${compactKeyframe(t, precision)}` : `,${delta}`;
    prev = t;
  }
  return `${out}]`;
}
