// The chart's candle list: history pages merged with the live open candle, never going backwards.
import type { Candle } from '../../src/contracts';

export type LiveResult = 'updated' | 'appended' | 'ignored';

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
