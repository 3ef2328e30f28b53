// Per-symbol snapshot for the UTC day (last tick, open/high/low, previous close), updated in place per tick.
import { utcDay, type Snapshot, type Tick } from '../contracts';

/** Day figures known from storage, before or besides the last tick. */
export interface DaySeed {
  /** Start of the UTC day that open/high/low belong to (undefined when only prevClose is known). */
  day?: number;
  open?: number;
  high?: number;
  low?: number;
  /** Close of the UTC day before `day` (or before today). */
  prevClose?: number;
}

interface DayState {
  tick: Tick | undefined;
  day: number;
  open: number;
  high: number;
  low: number;
  prevClose: number | undefined;
}

export class SnapshotBook {
  private readonly states = new Map<string, DayState>();

  /** Starts a symbol from stored figures: its last tick (if any) and the day's candle so far. */
  seed(symbol: string, tick: Tick | undefined, seed: DaySeed): void {
    const hasDay = seed.day !== undefined && seed.open !== undefined;
    const state: DayState = {
      tick,
      day: hasDay ? seed.day! : tick ? utcDay(tick.ts) : -1,
      open: seed.open ?? tick?.last ?? NaN,
      high: seed.high ?? tick?.last ?? -Infinity,
      low: seed.low ?? tick?.last ?? Infinity,
      prevClose: seed.prevClose,
    };
    if (tick && utcDay(tick.ts) > state.day) {
      // The stored day candle is older than the last tick: start the tick's day from it.
      state.prevClose = seed.open !== undefined ? (seed.prevClose ?? tick.last) : seed.prevClose;
      state.day = utcDay(tick.ts);
      state.open = state.high = state.low = tick.last;
    }
    this.states.set(symbol, state);
  }

  apply(tick: Tick): void {
    const price = tick.last;
    let state = this.states.get(tick.symbol);
    if (!state) {
      state = { tick, day: -1, open: price, high: price, low: price, prevClose: undefined };
      this.states.set(tick.symbol, state);
    }
    const day = utcDay(tick.ts);
    if (day !== state.day) {
      if (state.day >= 0) {
        // A new UTC day: yesterday's close is the last price seen before it.
        state.prevClose = state.tick?.last ?? state.prevClose;
      }
      if (state.day < day) {
        state.day = day;
        state.open = state.high = state.low = price;
      }
    } else {
      if (price > state.high) state.high = price;
      if (price < state.low) state.low = price;
    }
    state.prevClose ??= state.open;
    state.tick = tick;
  }

  lastTick(symbol: string): Tick | undefined {
    return this.states.get(symbol)?.tick;
  }

  get(symbol: string): Snapshot | undefined {
    const s = this.states.get(symbol);
    if (!s?.tick) return undefined;
    const t = s.tick;
    const prevClose = s.prevClose ?? s.open;
    const change = t.last - prevClose;
    // One literal of a fixed shape, rounded by arithmetic: a spread and toFixed() per field made
    // this the dearest part of GET /api/quotes/latest for the whole catalog.
    return {
      symbol: t.symbol,
      seq: t.seq,
      ts: t.ts,
      bid: t.bid,
      ask: t.ask,
      bidSize: t.bidSize,
      askSize: t.askSize,
      last: t.last,
      size: t.size,
      volume: t.volume,
      open: s.open,
      high: s.high,
      low: s.low,
      prevClose,
      change: Math.round(change * 1e10) / 1e10,
      changePct: prevClose ? Math.round((change / prevClose) * 1e6) / 1e4 : 0,
    };
  }
}
