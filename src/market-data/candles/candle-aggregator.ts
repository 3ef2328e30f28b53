// Builds the open OHLCV candle of every (symbol, interval) from live ticks and closes buckets as time passes.
import {
  INTERVALS,
  INTERVAL_MS,
  type Candle,
  type Interval,
  type LiveCandle,
  type Tick,
} from '../../contracts';
import type { CandleRow } from '../../storage/quote-store';
import { applyTickToCandle, roundVolume } from './candle-math';

/** One (symbol, interval) series. `candle` is mutated in place and never handed out. */
interface Series {
  readonly symbol: string;
  readonly interval: Interval;
  readonly ms: number;
  readonly candle: Candle;
  /** `candle` holds the bucket being built. */
  open: boolean;
  /** `candle` holds a seed whose fate (continue or history) is decided when the symbol starts. */
  seeded: boolean;
  /** Close of the last finished bucket: the price of empty buckets. NaN while unknown. */
  prevClose: number;
  /** Start of the earliest bucket that gets an empty candle if no tick lands in it. */
  nextT: number;
  /** Open candle changed since the last takeUpdates() / takeRows(). */
  updateDirty: boolean;
  rowDirty: boolean;
}

interface SymbolState {
  readonly symbol: string;
  /** Indexed like the aggregator's intervals, finest first. */
  readonly series: Series[];
  started: boolean;
  /** Effective time of the latest tick, so a symbol's buckets never move backwards. */
  lastTs: number;
}

export class CandleAggregator {
  readonly intervals: readonly Interval[];
  private readonly slot = new Map<Interval, number>();
  private readonly symbols = new Map<string, SymbolState>();
  private readonly symbolList: SymbolState[] = [];
  /** Latest `now` given to advance(): every bucket ending at or before it is closed. */
  private closedUntil = Number.NEGATIVE_INFINITY;
  private closedUpdates: LiveCandle[] = [];
  private closedRows: CandleRow[] = [];
  private readonly updateDirty: Series[] = [];
  private readonly rowDirty: Series[] = [];

  constructor(intervals: readonly Interval[] = INTERVALS) {
    // Finest first: the finest seeded close is the freshest price for intervals without a seed.
    this.intervals = INTERVALS.filter((i) => intervals.includes(i));
    this.intervals.forEach((interval, index) => this.slot.set(interval, index));
  }

  /**
   * Starts a series from a stored candle, before the symbol's first apply() or advance(). If that
   * bucket is still current then, it continues (o stays; h, l, c, v, n grow); otherwise it only
   * supplies the previous close. Of several seeds for one series the latest bucket wins.
   * Intervals this aggregator does not build are ignored.
   */
  seed(symbol: string, interval: Interval, candle: Candle): void {
    const index = this.slot.get(interval);
    if (index === undefined) return;
    const state = this.symbols.get(symbol) ?? this.addSymbol(symbol);
    if (state.started) {
      throw new Error(
        `CandleAggregator: seed ${symbol} ${interval} before its first tick or advance`,
      );
    }
    const series = state.series[index];
    if (candle.t % series.ms !== 0) {
      throw new RangeError(`CandleAggregator: seed t=${candle.t} is not aligned to ${interval}`);
    }
    if (series.seeded && series.candle.t >= candle.t) return;
    Object.assign(series.candle, {
      t: candle.t,
      o: candle.o,
      h: candle.h,
      l: candle.l,
      c: candle.c,
      v: candle.v,
      n: candle.n,
    });
    series.seeded = true;
  }

  /** Adds a tick to the open candle of every interval of its symbol; the hot path. */
  apply(tick: Tick): void {
    const state = this.symbols.get(tick.symbol) ?? this.addSymbol(tick.symbol);
    // A tick behind a bucket that already closed counts in the open one: closed candles are final.
    let ts = tick.ts;
    if (ts < this.closedUntil) ts = this.closedUntil;
    if (ts < state.lastTs) ts = state.lastTs;
    if (!state.started) this.start(state, ts);
    state.lastTs = ts;

    const price = tick.last;
    const size = tick.size;
    const all = state.series;
    for (let i = 0; i < all.length; i++) {
      const series = all[i];
      const candle = series.candle;
      // bucketStart(ts, interval) for ts >= 0, without a lookup per interval.
      const t = ts - (ts % series.ms);
      if (!series.open || t > candle.t) {
        if (series.open) this.close(series);
        this.emitEmptyBefore(series, t);
        candle.t = t;
        candle.v = 0;
        candle.n = 0;
        series.open = true;
      }
      applyTickToCandle(candle, price, size);
      if (!series.updateDirty) {
        series.updateDirty = true;
        this.updateDirty.push(series);
      }
      if (!series.rowDirty) {
        series.rowDirty = true;
        this.rowDirty.push(series);
      }
    }
  }

  /**
   * Closes every open bucket that ends at or before `now` and emits an empty candle for each
   * bucket that ended since the symbol started without a tick in it. Buckets before a symbol's
   * start (downtime) stay missing: nobody knows what traded then.
   */
  advance(now: number): void {
    if (now > this.closedUntil) this.closedUntil = now;
    for (const state of this.symbolList) {
      if (!state.started) this.start(state, now);
      for (const series of state.series) {
        if (series.open && series.candle.t + series.ms <= now) this.close(series);
        if (!series.open) this.emitEmptyBefore(series, now - series.ms + 1);
      }
    }
  }

  /** Closed candles in time order per series, then the latest state of each open candle that changed. */
  takeUpdates(): LiveCandle[] {
    const out = this.closedUpdates;
    this.closedUpdates = [];
    for (const series of this.updateDirty) {
      if (!series.updateDirty) continue;
      series.updateDirty = false;
      out.push(this.live(series.symbol, series.interval, series.candle, false));
    }
    this.updateDirty.length = 0;
    return out;
  }

  /** Every candle the store must insert or replace since the last call, each (symbol, interval, t) once. */
  takeRows(): CandleRow[] {
    const out = this.closedRows;
    this.closedRows = [];
    for (const series of this.rowDirty) {
      if (!series.rowDirty) continue;
      series.rowDirty = false;
      out.push(this.row(series.symbol, series.interval, series.candle));
    }
    this.rowDirty.length = 0;
    return out;
  }

  /**
   * Closed candles that takeRows() has not taken yet, without taking them: for reads that merge
   * them with the store. The open candles that takeRows() would add are what open() gives.
   */
  pendingRows(): readonly CandleRow[] {
    return this.closedRows;
  }

  /** A copy of the candle being built, or undefined when none is (no tick yet in this bucket). */
  open(symbol: string, interval: Interval): LiveCandle | undefined {
    const index = this.slot.get(interval);
    const series = index === undefined ? undefined : this.symbols.get(symbol)?.series[index];
    if (!series || !(series.open || series.seeded)) return undefined;
    return this.live(symbol, interval, series.candle, false);
  }

  private addSymbol(symbol: string): SymbolState {
    const series = this.intervals.map((interval): Series => ({
      symbol,
      interval,
      ms: INTERVAL_MS[interval],
      candle: { t: 0, o: 0, h: 0, l: 0, c: 0, v: 0, n: 0 },
      open: false,
      seeded: false,
      prevClose: Number.NaN,
      nextT: 0,
      updateDirty: false,
      rowDirty: false,
    }));
    const state: SymbolState = { symbol, series, started: false, lastTs: Number.NEGATIVE_INFINITY };
    this.symbols.set(symbol, state);
    this.symbolList.push(state);
    return state;
  }

  /** Decides each seed's fate at the symbol's first event: continue the bucket, or history only. */
  private start(state: SymbolState, at: number): void {
    state.started = true;
    const freshest = state.series.find((s) => s.seeded)?.candle.c ?? Number.NaN;
    for (const series of state.series) {
      const from = at - (at % series.ms);
      series.nextT = from;
      if (series.seeded) {
        series.seeded = false;
        series.prevClose = series.candle.c;
        series.open = series.candle.t + series.ms > at;
      } else {
        series.prevClose = freshest;
      }
    }
  }

  private close(series: Series): void {
    const candle = series.candle;
    this.closedUpdates.push(this.live(series.symbol, series.interval, candle, true));
    this.closedRows.push(this.row(series.symbol, series.interval, candle));
    series.prevClose = candle.c;
    series.nextT = candle.t + series.ms;
    series.open = false;
    // The closed copy supersedes any pending open state of the same bucket.
    series.updateDirty = false;
    series.rowDirty = false;
  }

  /** Empty candles for the buckets from series.nextT up to (not including) the one starting at `until`. */
  private emitEmptyBefore(series: Series, until: number): void {
    // Unreachable once started (a symbol exists only through a seed or a tick), kept as a guard.
    if (Number.isNaN(series.prevClose)) return;
    const p = series.prevClose;
    for (let t = series.nextT; t < until; t += series.ms) {
      const empty: Candle = { t, o: p, h: p, l: p, c: p, v: 0, n: 0 };
      this.closedUpdates.push(this.live(series.symbol, series.interval, empty, true));
      this.closedRows.push(this.row(series.symbol, series.interval, empty));
      series.nextT = t + series.ms;
    }
  }

  private live(symbol: string, interval: Interval, c: Candle, closed: boolean): LiveCandle {
    return { ...this.row(symbol, interval, c), closed };
  }

  private row(symbol: string, interval: Interval, c: Candle): CandleRow {
    return {
      symbol,
      interval,
      t: c.t,
      o: c.o,
      h: c.h,
      l: c.l,
      c: c.c,
      v: roundVolume(c.v),
      n: c.n,
    };
  }
}
