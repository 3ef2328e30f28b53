// The compact tick encoding (subscribe with `encoding: 'compact'`): the shape of its `t` frames,
// the rules a delta is read by, and the decoder that turns frames back into Tick objects. One
// home for the dashboard, the tests, the benchmarks and API users; the server's encoder
// (src/streaming/compact-ticks.encoder.ts) uses the same rules, so what it writes decodes exactly.
import type { Tick } from './market';

export const TICK_ENCODINGS = ['json', 'compact'] as const;
export type TickEncoding = (typeof TICK_ENCODINGS)[number];

/**
 * A tick in full, which (re)starts a symbol's state:
 * [seq, ts, bid, ask, bidSize, askSize, last, size, volume, precision]. `precision` (0..8) is the
 * number of decimals of the symbol's price unit, the unit the deltas after it count in.
 */
export type CompactKeyframe = [
  seq: number,
  ts: number,
  bid: number,
  ask: number,
  bidSize: number,
  askSize: number,
  last: number,
  size: number,
  volume: number,
  precision: number,
];

/**
 * One symbol's ticks in a frame, in seq order: the symbol, then items, each a keyframe (an array)
 * or a delta (DELTA_LENGTH numbers in a row) against the symbol's previous tick:
 * dts, dbid, dspread, lastOffset, bidSize, askSize, size. Its seq is the previous seq + 1; ts is
 * the previous ts + dts; bid, ask and last count in price units (10^-precision): bid = previous
 * bid + dbid, spread (ask - bid) = previous spread + dspread, last = bid + lastOffset; sizes are
 * as they are; volume is impliedVolume(previous volume, size).
 */
export type CompactEntry = [symbol: string, ...items: Array<number | CompactKeyframe>];

/** The payload of a `t` event: entries in the order their ticks were sent. */
export type CompactFrame = CompactEntry[];

/** Numbers per delta. */
export const DELTA_LENGTH = 7;
export const KEYFRAME_LENGTH = 10;

/** Highest precision a keyframe may name. */
export const MAX_COMPACT_PRECISION = 8;

/** 10^precision for precision 0..MAX_COMPACT_PRECISION: exact doubles. */
export const PRICE_SCALES: readonly number[] = Array.from(
  { length: MAX_COMPACT_PRECISION + 1 },
  (_, p) => 10 ** p,
);

/** A price in units of 1/scale, as both ends compute it. */
export function priceUnits(price: number, scale: number): number {
  return Math.round(price * scale);
}

/**
 * The volume a delta implies: the previous volume plus the trade's size, rounded to the 8
 * decimals the server's volumes carry. The encoder sends a keyframe whenever this is not the
 * tick's volume (a new UTC day, say).
 */
export function impliedVolume(previous: number, size: number): number {
  const sum = previous + size;
  return Number.isInteger(sum) ? sum : Number(sum.toFixed(8));
}

/** A frame that does not follow the format, or a delta for a symbol with no keyframe yet. */
export class CompactFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompactFrameError';
  }
}

interface SymbolState {
  tick: Tick;
  scale: number;
  bidUnits: number;
  spreadUnits: number;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Turns `t` frames back into Tick objects, equal field for field (and in field order) to the
 * ticks the server sends as JSON. Keeps each symbol's last tick; one decoder per connection (a
 * new connection starts every symbol with a keyframe, so it may also be kept across reconnects).
 */
export class CompactTickDecoder {
  private readonly state = new Map<string, SymbolState>();

  /** The ticks of one frame, in the order sent. Throws CompactFrameError on a malformed frame. */
  decode(frame: unknown): Tick[] {
    if (!Array.isArray(frame)) throw new CompactFrameError('a frame must be an array of entries');
    const out: Tick[] = [];
    for (const entry of frame as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') {
        throw new CompactFrameError('an entry must be an array starting with its symbol');
      }
      const symbol = entry[0];
      let s = this.state.get(symbol);
      let i = 1;
      while (i < entry.length) {
        const item: unknown = entry[i];
        if (Array.isArray(item)) {
          s = this.keyframe(symbol, item);
          out.push(s.tick);
          i++;
          continue;
        }
        if (!s) throw new CompactFrameError(`${symbol}: a delta before any keyframe`);
        if (i + DELTA_LENGTH > entry.length) {
          throw new CompactFrameError(`${symbol}: a delta of fewer than ${DELTA_LENGTH} numbers`);
        }
        for (let k = i; k < i + DELTA_LENGTH; k++) {
          if (!isNumber(entry[k]))
            throw new CompactFrameError(`${symbol}: a delta must be numbers`);
        }
        const d = entry as unknown as number[];
        out.push(
          this.delta(symbol, s, d[i], d[i + 1], d[i + 2], d[i + 3], d[i + 4], d[i + 5], d[i + 6]),
        );
        i += DELTA_LENGTH;
      }
    }
    return out;
  }

  /** Forgets a symbol's state (or every symbol's): its next item must be a keyframe. */
  forget(symbol?: string): void {
    if (symbol === undefined) this.state.clear();
    else this.state.delete(symbol);
  }

  private keyframe(symbol: string, k: unknown[]): SymbolState {
    if (k.length !== KEYFRAME_LENGTH || !k.every(isNumber)) {
      throw new CompactFrameError(`${symbol}: a keyframe must be ${KEYFRAME_LENGTH} numbers`);
    }
    const [seq, ts, bid, ask, bidSize, askSize, last, size, volume, precision] = k as number[];
    const scale = PRICE_SCALES[precision];
    if (scale === undefined) {
      throw new CompactFrameError(`${symbol}: precision must be 0..${MAX_COMPACT_PRECISION}`);
    }
    const tick: Tick = { symbol, seq, ts, bid, ask, bidSize, askSize, last, size, volume };
    const s: SymbolState = {
      tick,
      scale,
      bidUnits: priceUnits(bid, scale),
      spreadUnits: priceUnits(ask, scale) - priceUnits(bid, scale),
    };
    this.state.set(symbol, s);
    return s;
  }

  private delta(
    symbol: string,
    s: SymbolState,
    dts: number,
    dbid: number,
    dspread: number,
    lastOffset: number,
    bidSize: number,
    askSize: number,
    size: number,
  ): Tick {
    const prev = s.tick;
    const scale = s.scale;
    const bidUnits = s.bidUnits + dbid;
    const spreadUnits = s.spreadUnits + dspread;
    const tick: Tick = {
      symbol,
      seq: prev.seq + 1,
      ts: prev.ts + dts,
      bid: bidUnits / scale,
      ask: (bidUnits + spreadUnits) / scale,
      bidSize,
      askSize,
      last: (bidUnits + lastOffset) / scale,
      size,
      volume: impliedVolume(prev.volume, size),
    };
    s.tick = tick;
    s.bidUnits = bidUnits;
    s.spreadUnits = spreadUnits;
    return tick;
  }
}
