// The simulator's maths, pure: the k-th tick of a symbol from (seed, symbol, k) and the tick before it.
import { utcDay, type Tick } from '../../contracts';
import { Rng, hashString, mix32 } from '../../common/rng';
import type { CatalogEntry } from '../../instruments/catalog';

const MS_PER_YEAR = 365.25 * 86_400_000;
/** Jumps per symbol per day, on average. */
const JUMPS_PER_DAY = 3;
/** Ticks between two knots of the slowly varying volatility factor. */
const VOL_KNOT_TICKS = 600;

export interface ModelParams {
  /** This symbol's share of the feed's ticks per second. */
  ticksPerSecond: number;
}

/** Everything the next tick depends on, besides (seed, symbol, k). */
export interface SymbolState {
  symbol: string;
  /** seq of the last tick emitted (0 before the first). */
  seq: number;
  /** Unrounded mid price the random walk continues from. */
  mid: number;
  /** ts of the last tick, UTC epoch ms. */
  ts: number;
  volume: number;
}

export function roundToTick(price: number, tickSize: number, precision: number): number {
  return Number((Math.round(price / tickSize) * tickSize).toFixed(precision));
}

export class PriceModel {
  private readonly rng = new Rng(0);
  private readonly symbolHash: number;
  private readonly sigmaTick: number;
  private readonly meanGapMs: number;
  private readonly jumpProb: number;
  private readonly baseSpreadTicks: number;

  constructor(
    private readonly seed: number,
    readonly entry: CatalogEntry,
    params: ModelParams,
  ) {
    this.symbolHash = hashString(entry.symbol);
    this.meanGapMs = 1000 / params.ticksPerSecond;
    // Per-tick volatility so that, at the expected tick rate, the annual volatility is the instrument's.
    this.sigmaTick = entry.sim.volatility * Math.sqrt(this.meanGapMs / MS_PER_YEAR);
    const ticksPerDay = 86_400_000 / this.meanGapMs;
    this.jumpProb = JUMPS_PER_DAY / ticksPerDay;
    // A quoted spread of a few basis points, never under one tick.
    const spreadBps = entry.assetClass === 'fx' ? 0.8 : entry.assetClass === 'index' ? 0.5 : 2;
    this.baseSpreadTicks = Math.max(
      1,
      (entry.sim.startPrice * spreadBps) / 10_000 / entry.tickSize,
    );
  }

  get expectedGapMs(): number {
    return this.meanGapMs;
  }

  initialState(ts: number): SymbolState {
    return { symbol: this.entry.symbol, seq: 0, mid: this.entry.sim.startPrice, ts, volume: 0 };
  }

  /** State that continues from a stored tick: same price, next seq. */
  /** The state after `tick`: `mid` is exact when known, else the tick's (bid + ask) / 2. */
  stateFromTick(tick: Tick, mid = (tick.bid + tick.ask) / 2): SymbolState {
    return {
      symbol: tick.symbol,
      seq: tick.seq,
      mid,
      ts: tick.ts,
      volume: tick.volume,
    };
  }

  /**
   * Volatility multiplier for tick k: a deterministic daily cycle in tick time (busier open and
   * close, quieter middle) times a smooth random factor, so calm and stormy stretches alternate.
   */
  volFactor(k: number): number {
    const ticksPerDay = 86_400_000 / this.meanGapMs;
    const phase = (k % ticksPerDay) / ticksPerDay;
    const cycle = 0.75 + 0.5 * Math.cos(2 * Math.PI * phase) ** 2;
    const i = Math.floor(k / VOL_KNOT_TICKS);
    const f = (k % VOL_KNOT_TICKS) / VOL_KNOT_TICKS;
    const a = this.knot(i);
    const b = this.knot(i + 1);
    return cycle * (a + (b - a) * (f * f * (3 - 2 * f)));
  }

  private knot(i: number): number {
    // Log-normal around 1, between roughly 0.5 and 2.
    const u = mix32(this.seed, this.symbolHash ^ 0x5bd1e995, i) / 4294967296;
    return Math.exp((u - 0.5) * 1.4);
  }

  /** Milliseconds from tick k to tick k+1: exponential, so arrivals form a Poisson process. */
  gapAfter(k: number): number {
    const u = (mix32(this.seed, this.symbolHash ^ 0x27d4eb2f, k) + 1) / 4294967297;
    return Math.max(1, Math.round(-Math.log(u) * this.meanGapMs));
  }

  /** Advances `state` in place to tick state.seq + 1 at time `ts` and returns that tick. */
  next(state: SymbolState, ts: number): Tick {
    const { tickSize, pricePrecision, sim } = this.entry;
    const k = state.seq + 1;
    const rng = this.rng.reseed(mix32(this.seed, this.symbolHash, k));
    const sigma = this.sigmaTick * this.volFactor(k);
    let ret = sigma * rng.normal() - (sigma * sigma) / 2;
    if (rng.next() < this.jumpProb) ret += rng.normal() * sigma * 25;
    const floor = tickSize * 2;
    const mid = Math.max(floor, state.mid * Math.exp(ret));

    // Spread widens with volatility; bid and ask sit on the tick grid with bid < ask.
    const spreadTicks = Math.max(1, Math.round(this.baseSpreadTicks * this.volFactor(k)));
    const bidRaw = mid - (spreadTicks * tickSize) / 2;
    const bid = roundToTick(Math.max(tickSize, bidRaw), tickSize, pricePrecision);
    const ask = roundToTick(bid + spreadTicks * tickSize, tickSize, pricePrecision);
    const side = rng.next();
    const last = side < 0.45 ? bid : side < 0.9 ? ask : roundToTick(mid, tickSize, pricePrecision);
    const lastOnBook = Math.min(ask, Math.max(bid, last));

    const lots = 1 + Math.floor(rng.exponential(2.5));
    const size = Number((lots * sim.lotSize).toFixed(8));
    // Quoted depth, drawn after everything that sets prices, so prices do not depend on it.
    const bidSize = Number(((1 + Math.floor(rng.exponential(8))) * sim.lotSize).toFixed(8));
    const askSize = Number(((1 + Math.floor(rng.exponential(8))) * sim.lotSize).toFixed(8));
    const volume = utcDay(ts) === utcDay(state.ts) ? state.volume + size : size;

    state.seq = k;
    state.mid = mid;
    state.ts = ts;
    state.volume = Number(volume.toFixed(8));
    return {
      symbol: state.symbol,
      seq: k,
      ts,
      bid,
      ask,
      bidSize,
      askSize,
      last: lastOnBook,
      size,
      volume: state.volume,
    };
  }
}
