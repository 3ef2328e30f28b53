// A PriceFeed the test drives: deterministic ticks on each instrument's grid, no timers.
import { utcDay, type Tick } from '../contracts';
import { Clock, SystemClock } from '../common/clock';
import { CATALOG, type CatalogEntry } from '../instruments/catalog';
import { type FeedSeqLimits, PriceFeed, type TickListener } from './price-feed';

interface FakeSymbol {
  readonly entry: CatalogEntry;
  seq: number;
  /** Price in whole ticks of the instrument's grid. */
  steps: number;
  ts: number;
  volume: number;
  /** Highest seq this symbol may emit. */
  allowedThrough: number;
}

/** Moves of the price, in grid steps, by seq: a small deterministic zigzag. */
const MOVES = [1, -1, 2, 0, -2, 1, -1, 0];

export class FakePriceFeed extends PriceFeed {
  private readonly symbols = new Map<string, FakeSymbol>();
  private readonly listeners = new Set<TickListener>();
  private running = false;
  /** Latest ts handed out, so that ts never goes back whatever the clock does. */
  private lastTs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly entries: readonly CatalogEntry[] = CATALOG,
    private readonly clock: Clock = new SystemClock(),
  ) {
    super();
  }

  get started(): boolean {
    return this.running;
  }

  start(last: ReadonlyMap<string, Tick>, limits: FeedSeqLimits = {}): void {
    for (const entry of this.entries) {
      const tick = last.get(entry.symbol);
      this.symbols.set(entry.symbol, {
        entry,
        seq: Math.max(tick?.seq ?? 0, limits.after?.get(entry.symbol) ?? 0),
        allowedThrough: limits.allowed ? (limits.allowed.get(entry.symbol) ?? 0) : Infinity,
        steps: Math.round((tick?.last ?? entry.sim.startPrice) / entry.tickSize),
        ts: tick?.ts ?? Number.NEGATIVE_INFINITY,
        volume: tick?.volume ?? 0,
      });
      // A continued symbol's next tick comes after its stored one.
      if (tick && tick.ts + 1 > this.lastTs) this.lastTs = tick.ts + 1;
    }
    this.running = true;
  }

  stop(): void {
    this.running = false;
  }

  allow(symbol: string, throughSeq: number): void {
    const state = this.symbols.get(symbol);
    if (state && throughSeq > state.allowedThrough) state.allowedThrough = throughSeq;
  }

  subscribe(listener: TickListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Emits `n` ticks of one symbol and returns them; none while the feed is stopped, and none past
   * the symbol's allowed seq (fewer than `n` then).
   */
  emit(symbol: string, n = 1): Tick[] {
    const state = this.symbols.get(symbol);
    if (!state) throw new Error(`FakePriceFeed: ${symbol} is not a started symbol`);
    const out: Tick[] = [];
    for (let i = 0; i < n && this.running && state.seq < state.allowedThrough; i++) {
      const tick = this.next(state);
      out.push(tick);
      for (const listener of this.listeners) listener(tick);
    }
    return out;
  }

  /** Emits `n` rounds of one tick per instrument, in catalog order, and returns them. */
  tickAll(n = 1): Tick[] {
    const out: Tick[] = [];
    for (let i = 0; i < n; i++) {
      for (const entry of this.entries) out.push(...this.emit(entry.symbol));
    }
    return out;
  }

  private next(state: FakeSymbol): Tick {
    const { entry } = state;
    const ts = Math.max(this.clock.now(), this.lastTs);
    this.lastTs = ts;
    state.seq += 1;
    state.steps = Math.max(2, state.steps + MOVES[state.seq % MOVES.length]);
    const lot = entry.sim.lotSize;
    // Volume is the UTC day's: a new day starts it again.
    const volume = utcDay(ts) === utcDay(state.ts) ? state.volume + lot : lot;
    state.volume = Math.round(volume * 1e8) / 1e8;
    state.ts = ts;
    return {
      symbol: entry.symbol,
      seq: state.seq,
      ts,
      bid: this.price(state.steps - 1, entry),
      ask: this.price(state.steps + 1, entry),
      bidSize: lot * 3,
      askSize: lot * 2,
      last: this.price(state.steps, entry),
      size: lot,
      volume: state.volume,
    };
  }

  private price(steps: number, entry: CatalogEntry): number {
    return Number((steps * entry.tickSize).toFixed(entry.pricePrecision));
  }
}
