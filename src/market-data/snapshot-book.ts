// Per-symbol snapshot for the UTC day (last tick, open/high/low, previous close), updated in place per tick.
import type { Snapshot, Tick } from '../contracts';
import { utcDay } from './simulator/price-model';

interface DayState {
  tick: Tick;
  day: number;
  open: number;
  high: number;
  low: number;
  prevClose: number;
}

export interface DaySeed {
  /** Start of the UTC day the figures belong to. */
  day: number;
  open: number;
  high: number;
  low: number;
  prevClose: number;
}

export class SnapshotBook {
  private readonly states = new Map<string, DayState>();

  /** Starts a symbol from stored figures (its last tick and the day so far). */
  seed(tick: Tick, day: DaySeed | undefined): void {
    const today = utcDay(tick.ts);
    if (day && day.day === today) {
      this.states.set(tick.symbol, { tick, ...day, day: today });
    } else {
      const prevClose = day && day.day < today ? tick.last : (day?.prevClose ?? tick.last);
      this.states.set(tick.symbol, {
        tick,
        day: today,
        open: tick.last,
        high: tick.last,
        low: tick.last,
        prevClose,
      });
    }
  }

  /** Sets the previous day's close for a symbol that has no tick yet (history without live data). */
  setPrevClose(symbol: string, prevClose: number): void {
    const state = this.states.get(symbol);
    if (state) state.prevClose = prevClose;
  }

  apply(tick: Tick): void {
    const state = this.states.get(tick.symbol);
    const price = tick.last;
    if (!state) {
      this.states.set(tick.symbol, {
        tick,
        day: utcDay(tick.ts),
        open: price,
        high: price,
        low: price,
        prevClose: price,
      });
      return;
    }
    const day = utcDay(tick.ts);
    if (day !== state.day) {
      state.prevClose = state.tick.last;
      state.day = day;
      state.open = state.high = state.low = price;
    } else {
      if (price > state.high) state.high = price;
      if (price < state.low) state.low = price;
    }
    state.tick = tick;
  }

  lastTick(symbol: string): Tick | undefined {
    return this.states.get(symbol)?.tick;
  }

  get(symbol: string): Snapshot | undefined {
    const s = this.states.get(symbol);
    if (!s) return undefined;
    const change = s.tick.last - s.prevClose;
    return {
      ...s.tick,
      open: s.open,
      high: s.high,
      low: s.low,
      prevClose: s.prevClose,
      change: Number(change.toFixed(10)),
      changePct: s.prevClose ? Number(((change / s.prevClose) * 100).toFixed(4)) : 0,
    };
  }
}
