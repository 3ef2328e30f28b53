// One quote's maths, pure: built from a snapshot or a first tick, moved by each later tick, with
// the UTC-day figures rolled over at midnight as the server's SnapshotBook does.
import { utcDay, type Snapshot, type Tick } from '../../src/contracts';

/** One instrument's latest quote and day statistics, as shown. */
export interface Quote extends Tick {
  open: number;
  high: number;
  low: number;
  prevClose: number;
  /** Start of the UTC day the statistics belong to. */
  day: number;
  /** Direction of the last change of `last`: 1 up, -1 down, 0 none yet. */
  direction: 1 | -1 | 0;
  /** Client clock (ms) when the last update arrived. */
  receivedAt: number;
  /** Connection the data came from; data from an older one yields to the next snapshot. */
  epoch: number;
  /** True when `ts` is a live tick (tick-to-screen latency is meaningful), false for snapshots. */
  streamed: boolean;
  /** Smoothed gap between updates (ms), to tell liquid symbols from quiet ones. */
  meanGapMs: number;
  updates: number;
}

/** The quote a snapshot makes; day extremes already held for the same UTC day are kept. */
export function quoteFromSnapshot(
  s: Snapshot,
  prev: Quote | undefined,
  receivedAt: number,
  epoch: number,
): Quote {
  const day = utcDay(s.ts);
  const sameDay = prev !== undefined && prev.day === day;
  return {
    symbol: s.symbol,
    seq: s.seq,
    ts: s.ts,
    bid: s.bid,
    ask: s.ask,
    last: s.last,
    size: s.size,
    volume: s.volume,
    bidSize: s.bidSize,
    askSize: s.askSize,
    open: s.open,
    high: sameDay ? Math.max(prev.high, s.high) : s.high,
    low: sameDay ? Math.min(prev.low, s.low) : s.low,
    prevClose: s.prevClose,
    day,
    direction: prev ? (s.last > prev.last ? 1 : s.last < prev.last ? -1 : prev.direction) : 0,
    receivedAt,
    epoch,
    streamed: false,
    meanGapMs: prev?.meanGapMs ?? NaN,
    updates: prev?.updates ?? 0,
  };
}

/** A tick that beat its snapshot: the day figures wait for the snapshot. */
export function quoteFromTick(t: Tick, receivedAt: number, epoch: number): Quote {
  return {
    ...t,
    open: NaN,
    high: t.last,
    low: t.last,
    prevClose: NaN,
    day: utcDay(t.ts),
    direction: 0,
    receivedAt,
    epoch,
    streamed: true,
    meanGapMs: NaN,
    updates: 1,
  };
}

/** Moves `q` to tick `t` in place. A tick of a later UTC day starts that day from its price. */
export function applyTick(q: Quote, t: Tick, receivedAt: number, epoch: number): void {
  const day = utcDay(t.ts);
  if (day > q.day) {
    q.prevClose = q.last;
    q.open = q.high = q.low = t.last;
    q.day = day;
  } else {
    if (t.last > q.high) q.high = t.last;
    if (t.last < q.low) q.low = t.last;
  }
  if (t.last !== q.last) q.direction = t.last > q.last ? 1 : -1;
  const gap = receivedAt - q.receivedAt;
  q.meanGapMs = Number.isNaN(q.meanGapMs) ? gap : q.meanGapMs * 0.8 + gap * 0.2;
  q.updates++;
  q.seq = t.seq;
  q.ts = t.ts;
  q.bid = t.bid;
  q.ask = t.ask;
  q.last = t.last;
  q.size = t.size;
  q.volume = t.volume;
  q.bidSize = t.bidSize;
  q.askSize = t.askSize;
  q.receivedAt = receivedAt;
  q.epoch = epoch;
  q.streamed = true;
}

/**
 * Widens `q`'s day high and low by an older snapshot's (a conflated stream can skip extremes
 * that REST still knows). Returns true when they changed.
 */
export function mergeExtremes(q: Quote, s: Snapshot): boolean {
  if (q.day !== utcDay(s.ts)) return false;
  const high = Math.max(q.high, s.high);
  const low = Math.min(q.low, s.low);
  const touched = high !== q.high || low !== q.low;
  q.high = high;
  q.low = low;
  return touched;
}
