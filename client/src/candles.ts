// The chart's candle list: history pages merged with the live open candle, never going backwards.
import type { Candle } from '../../src/contracts';

export type LiveResult = 'updated' | 'appended' | 'ignored';

/**
 * How many bars the chart keeps. Live candles append one bar per interval for as long as the page
 * is open (3,600 an hour on the 1s chart, each costing the chart library about 1.6 kB of heap), so
 * past `max` bars the oldest are dropped, down to `keep`: in batches, so that the chart's data is
 * replaced rarely rather than every bar. Bars the trader is looking at are kept (the view would
 * jump and scroll-back would fetch them again) until the book passes `ceiling`.
 */
export interface BarCap {
  max: number;
  keep: number;
  ceiling: number;
  /** Bars left of the view that must remain after a trim (the chart asks for older history nearer the edge). */
  margin: number;
}

export const BAR_CAP: BarCap = { max: 1_000, keep: 500, ceiling: 3_000, margin: 20 };

/**
 * How many of the oldest of `length` bars to drop, given `firstVisible`, the logical index of the
 * leftmost bar in view (null when unknown, e.g. nothing drawn yet).
 */
export function barsToTrim(length: number, firstVisible: number | null, cap = BAR_CAP): number {
  if (length <= cap.max) return 0;
  const drop = length - cap.keep;
  if (length > cap.ceiling) return drop;
  if (firstVisible !== null && firstVisible < drop + cap.margin) return 0;
  return drop;
}

export class CandleBook {
  private list: Candle[] = [];
  /** True once a page of older history came back short: there is nothing further back. */
  exhausted = false;

  get candles(): readonly Candle[] {
    return this.list;
  }

  get first(): Candle | undefined {
    return this.list[0];
  }

  get last(): Candle | undefined {
    return this.list[this.list.length - 1];
  }

  reset(history: readonly Candle[] = []): void {
    this.list = normalise(history);
    this.exhausted = false;
  }

  /** Merges an older page in front; returns how many candles were new. */
  prepend(older: readonly Candle[], requested: number): number {
    const first = this.list[0]?.t ?? Infinity;
    const fresh = normalise(older).filter((c) => c.t < first);
    if (older.length < requested || fresh.length === 0) this.exhausted = true;
    if (fresh.length) this.list = fresh.concat(this.list);
    return fresh.length;
  }

  /** Drops the `n` oldest candles; history before them can be fetched again. */
  dropOldest(n: number): void {
    if (n <= 0) return;
    this.list = this.list.slice(n);
    this.exhausted = false;
  }

  /**
   * The open candle from the stream. It replaces the last candle of the same bucket or starts
   * a new one; a candle older than the last is dropped (the chart cannot draw backwards).
   */
  applyLive(c: Candle): LiveResult {
    const last = this.last;
    const bar: Candle = { t: c.t, o: c.o, h: c.h, l: c.l, c: c.c, v: c.v, n: c.n };
    if (!last || c.t > last.t) {
      this.list.push(bar);
      return 'appended';
    }
    if (c.t === last.t) {
      this.list[this.list.length - 1] = bar;
      return 'updated';
    }
    return 'ignored';
  }
}

/** Ascending by t, one candle per bucket (the later copy wins). */
function normalise(candles: readonly Candle[]): Candle[] {
  const byT = new Map<number, Candle>();
  for (const c of candles) byT.set(c.t, c);
  return [...byT.values()].sort((a, b) => a.t - b.t);
}
