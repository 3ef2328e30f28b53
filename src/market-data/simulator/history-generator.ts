// First-start history, deterministic and built backward in time so it ends where the live feed begins.
import { INTERVAL_MS, bucketStart, type Interval } from '../../contracts';
import { Rng, hashString, mix32 } from '../../common/rng';
import { DEFAULTS } from '../../config/defaults';
import { precisionOf, symbolTickRate, type CatalogEntry } from '../../instruments/catalog';
import type { CandleRow } from '../../storage/quote-store';
import { mergeCandle } from '../candles/candle-math';

/*
 * Layout, for a live start L (aligned down to its minute):
 *   1d candles from a daily random walk for the days in [today - dailyDays, today - minuteDays),
 *   1m candles for every minute in [today - minuteDays, L), today = the UTC day holding L,
 *   5m, 15m, 1h and 1d candles over that 1m range, each the exact aggregate of its 1m candles;
 *   the bucket holding L is the aggregate of its minutes so far, for the live aggregator to continue.
 * Starting the 1m range on a UTC day boundary makes every 1d candle either wholly daily-walk or
 * wholly 1m, and the daily walk closes exactly at the first 1m candle's open, so the two join.
 *
 * Prices are built from the end: the minute before L closes at the instrument's start price (where
 * the live simulator starts on an empty store) and each earlier close is the later one minus that
 * bucket's log-return. Every random draw is mix32(seed, symbol hash ^ salt, bucket number), so a
 * symbol's history depends on nothing but its own inputs and never on generation order.
 *
 * Simulated markets trade around the clock, so there are no weekend or overnight gaps.
 */

const MIN = INTERVAL_MS['1m'];
const HOUR = INTERVAL_MS['1h'];
const DAY = INTERVAL_MS['1d'];
/** The simulator's calendar: volatility is annualised over every millisecond of the year. */
const MS_PER_YEAR = 365.25 * DAY;

type StoredInterval = '1m' | '5m' | '15m' | '1h' | '1d';
const AGGREGATED: readonly StoredInterval[] = ['5m', '15m', '1h', '1d'];
/**
 * The intervals in the stores' key order (symbol, interval, t), compared as text: rows inserted in
 * key order fill each index page once, which makes the backfill about twice as fast.
 */
const KEY_ORDER: readonly StoredInterval[] = ['15m', '1d', '1h', '1m', '5m'];
const AGGREGATED_MS = AGGREGATED.map((interval) => INTERVAL_MS[interval]);

const SALT_MINUTE_STEP = 0x3c6ef372;
const SALT_MINUTE_BAR = 0xa54ff53a;
const SALT_DAY_STEP = 0x510e527f;
const SALT_DAY_BAR = 0x9b05688c;
const SALT_HOUR_REGIME = 0x1f83d9ab;
const SALT_WEEK_REGIME = 0x5be0cd19;

/**
 * Jumps: about one a day in the minute series, one a month in the daily walk. The diffusion is
 * scaled down by what the jumps add, so realised volatility stays the instrument's.
 */
const MINUTE_JUMP_PROB = 1 / 1440;
const MINUTE_JUMP_SIGMAS = 10;
const MINUTE_DIFFUSION = 1 / Math.sqrt(1 + MINUTE_JUMP_PROB * MINUTE_JUMP_SIGMAS ** 2);
const DAY_JUMP_PROB = 1 / 30;
const DAY_JUMP_SIGMAS = 4;
const DAY_DIFFUSION = 1 / Math.sqrt(1 + DAY_JUMP_PROB * DAY_JUMP_SIGMAS ** 2);

/** Lots per trade in the live model are 1 + floor(Exp(mean 2.5)): geometric with q = e^-0.4. */
const LOT_Q = Math.exp(-1 / 2.5);
const LOTS_MEAN = 1 + LOT_Q / (1 - LOT_Q);
const LOTS_SD = Math.sqrt(LOT_Q) / (1 - LOT_Q);

/** Log-normal regime knots exp((u - 0.5) * REGIME_SPREAD), scaled to unit root-mean-square. */
const REGIME_SPREAD = 1.2;
const REGIME_RMS = Math.sqrt(Math.sinh(REGIME_SPREAD) / REGIME_SPREAD);
const REGIME_MEAN = Math.sinh(REGIME_SPREAD / 2) / (REGIME_SPREAD / 2) / REGIME_RMS;

/**
 * Intraday volatility by UTC hour: a U, busy at the turn of the day and quiet around noon,
 * normalised so the day's variance is unchanged.
 */
const HOUR_SHAPE: readonly number[] = (() => {
  const raw = Array.from({ length: 24 }, (_, h) => 0.6 + 1.2 * ((h + 0.5 - 12) / 12) ** 2);
  const rms = Math.sqrt(raw.reduce((sum, x) => sum + x * x, 0) / raw.length);
  return raw.map((x) => x / rms);
})();
const HOUR_SHAPE_MEAN = HOUR_SHAPE.reduce((sum, x) => sum + x, 0) / HOUR_SHAPE.length;

export interface HistoryOptions {
  /**
   * This symbol's ticks per second in the live feed (its liquidity share of the combined rate);
   * sets the tick counts and volumes. Defaults to its share of DEFAULTS.tickRate across the catalog.
   */
  ticksPerSecond?: number;
  /** Days of 1m candles before the live start's UTC day (default 30). */
  minuteDays?: number;
  /** Days of 1d candles before the live start's UTC day (default 730, two years). */
  dailyDays?: number;
  /** Rows per yielded batch (default 10 000). */
  batchSize?: number;
}

/** The first minute the live feed builds: history ends at its start. */
export function historyEnd(liveStart: number): number {
  return bucketStart(liveStart, '1m');
}

/**
 * Candles for one instrument before `liveStart`, in batches in the stores' key order: interval by
 * interval (KEY_ORDER), ascending t within each.
 * A pure function of (seed, entry, the minute of liveStart, options).
 */
export function* generateHistory(
  seed: number,
  entry: CatalogEntry,
  liveStart: number,
  opts: HistoryOptions = {},
): Generator<CandleRow[], void, undefined> {
  const minuteDays = opts.minuteDays ?? 30;
  const dailyDays = Math.max(opts.dailyDays ?? 730, minuteDays);
  const batchSize = opts.batchSize ?? 10_000;
  const model = new HistoryModel(
    seed,
    entry,
    opts.ticksPerSecond ?? symbolTickRate(entry, DEFAULTS.tickRate),
  );

  const end = historyEnd(liveStart);
  const today = bucketStart(end, '1d');
  const minuteFrom = today - minuteDays * DAY;
  const dailyFrom = today - dailyDays * DAY;

  // Minute log-prices at bucket boundaries, from the end backward: logP[k] is the open of minute k.
  const minutes = (end - minuteFrom) / MIN;
  const logP = new Float64Array(minutes + 1);
  const minuteSigma = new Float64Array(minutes);
  logP[minutes] = Math.log(entry.sim.startPrice);
  for (let k = minutes - 1; k >= 0; k--) {
    const t = minuteFrom + k * MIN;
    minuteSigma[k] = model.minuteSigma(t);
    logP[k] = logP[k + 1] - model.minuteReturn(t, minuteSigma[k]);
  }

  // The daily walk closes where the first minute opens.
  const days = (minuteFrom - dailyFrom) / DAY;
  const logD = new Float64Array(days + 1);
  const daySigma = new Float64Array(days);
  logD[days] = logP[0];
  for (let d = days - 1; d >= 0; d--) {
    const t = dailyFrom + d * DAY;
    daySigma[d] = model.daySigma(t);
    logD[d] = logD[d + 1] - model.dayReturn(t, daySigma[d]);
  }

  const rows: Record<StoredInterval, CandleRow[]> = {
    '1m': [],
    '5m': [],
    '15m': [],
    '1h': [],
    '1d': [],
  };
  let close = model.price(logD[0]);
  for (let d = 0; d < days; d++) {
    const bar = model.dayBar(dailyFrom + d * DAY, close, logD[d], logD[d + 1], daySigma[d]);
    close = bar.c;
    rows['1d'].push(bar);
  }

  const open: (CandleRow | undefined)[] = AGGREGATED.map(() => undefined);
  close = model.price(logP[0]);
  for (let k = 0; k < minutes; k++) {
    const bar = model.minuteBar(minuteFrom + k * MIN, close, logP[k], logP[k + 1], minuteSigma[k]);
    close = bar.c;
    rows['1m'].push(bar);
    for (let j = 0; j < AGGREGATED.length; j++) {
      const t = bar.t - (bar.t % AGGREGATED_MS[j]);
      const agg = open[j];
      if (agg && agg.t === t) {
        mergeCandle(agg, bar);
        continue;
      }
      if (agg) {
        agg.v = model.cleanVolume(agg.v);
        rows[AGGREGATED[j]].push(agg);
      }
      const { symbol, o, h, l, c, v, n } = bar;
      open[j] = { symbol, interval: AGGREGATED[j], t, o, h, l, c, v, n };
    }
  }
  // The last bucket of each interval is complete or is the partial one holding the live start.
  for (let j = 0; j < AGGREGATED.length; j++) {
    const agg = open[j];
    if (!agg) continue;
    agg.v = model.cleanVolume(agg.v);
    rows[AGGREGATED[j]].push(agg);
  }
  for (const interval of KEY_ORDER) {
    const list = rows[interval];
    for (let i = 0; i < list.length; i += batchSize) yield list.slice(i, i + batchSize);
  }
}

/** Per-instrument draws and bars; every draw depends on (seed, symbol, bucket) alone, caches aside. */
class HistoryModel {
  private readonly rng = new Rng(0);
  private readonly key: (salt: number) => number;
  private readonly sigmaMinute: number;
  private readonly sigmaDay: number;
  private readonly ticksPerMinute: number;
  /** Prices are steps * gridUnits / gridScale: tickSize = gridUnits / 10^pricePrecision. */
  private readonly gridScale: number;
  private readonly gridUnits: number;
  /** Volumes are whole lots: lots * lotUnits / lotScale is exact to the lot's decimals. */
  private readonly lotScale: number;
  private readonly lotUnits: number;
  private cachedHour = Number.NaN;
  private hourKnots: [number, number] = [1, 1];
  private cachedWeek = Number.NaN;
  private weekKnots: [number, number] = [1, 1];

  constructor(
    private readonly seed: number,
    private readonly entry: CatalogEntry,
    ticksPerSecond: number,
  ) {
    const hash = hashString(entry.symbol);
    this.key = (salt) => (hash ^ salt) >>> 0;
    this.sigmaMinute = entry.sim.volatility * Math.sqrt(MIN / MS_PER_YEAR);
    this.sigmaDay = entry.sim.volatility * Math.sqrt(DAY / MS_PER_YEAR);
    this.ticksPerMinute = ticksPerSecond * 60;
    this.gridScale = 10 ** entry.pricePrecision;
    this.gridUnits = Math.round(entry.tickSize * this.gridScale);
    this.lotScale = 10 ** precisionOf(entry.sim.lotSize);
    this.lotUnits = Math.round(entry.sim.lotSize * this.lotScale);
  }

  /** Volatility of the minute starting at t: the hour-of-day U times a slowly drifting regime. */
  minuteSigma(t: number): number {
    const hour = Math.floor(t / HOUR);
    if (hour !== this.cachedHour) {
      this.cachedHour = hour;
      this.hourKnots = [this.knot(SALT_HOUR_REGIME, hour), this.knot(SALT_HOUR_REGIME, hour + 1)];
    }
    const regime = smooth(this.hourKnots, (t - hour * HOUR) / HOUR);
    return this.sigmaMinute * HOUR_SHAPE[hour % 24] * regime;
  }

  /** Volatility of the day starting at t: calm and stormy weeks alternate. */
  daySigma(t: number): number {
    const week = Math.floor(t / (7 * DAY));
    if (week !== this.cachedWeek) {
      this.cachedWeek = week;
      this.weekKnots = [this.knot(SALT_WEEK_REGIME, week), this.knot(SALT_WEEK_REGIME, week + 1)];
    }
    return this.sigmaDay * smooth(this.weekKnots, (t - week * 7 * DAY) / (7 * DAY));
  }

  minuteReturn(t: number, sigma: number): number {
    const rng = this.rng.reseed(mix32(this.seed, this.key(SALT_MINUTE_STEP), t / MIN));
    let r = sigma * MINUTE_DIFFUSION * rng.normal();
    if (rng.next() < MINUTE_JUMP_PROB) r += sigma * MINUTE_JUMP_SIGMAS * rng.normal();
    return r;
  }

  dayReturn(t: number, sigma: number): number {
    const rng = this.rng.reseed(mix32(this.seed, this.key(SALT_DAY_STEP), t / DAY));
    let r = sigma * DAY_DIFFUSION * rng.normal();
    if (rng.next() < DAY_JUMP_PROB) r += sigma * DAY_JUMP_SIGMAS * rng.normal();
    return r;
  }

  minuteBar(t: number, open: number, logOpen: number, logClose: number, sigma: number): CandleRow {
    this.rng.reseed(mix32(this.seed, this.key(SALT_MINUTE_BAR), t / MIN));
    const activity = sigma / this.sigmaMinute / (HOUR_SHAPE_MEAN * REGIME_MEAN);
    return this.bar('1m', t, open, logOpen, logClose, sigma, this.ticksPerMinute * activity);
  }

  dayBar(t: number, open: number, logOpen: number, logClose: number, sigma: number): CandleRow {
    this.rng.reseed(mix32(this.seed, this.key(SALT_DAY_BAR), t / DAY));
    const activity = sigma / this.sigmaDay / REGIME_MEAN;
    const meanTicks = this.ticksPerMinute * 1440 * activity;
    return this.bar('1d', t, open, logOpen, logClose, sigma, meanTicks);
  }

  /**
   * A bar from its open and close log-prices. High and low are drawn from the maximum and minimum
   * of a Brownian bridge between them (P(max - top > x) = exp(-2x(x + |c - o|) / sigma^2)), so
   * the range widens with volatility and with the size of the move; busier bars trade more.
   */
  private bar(
    interval: Interval,
    t: number,
    open: number,
    logOpen: number,
    logClose: number,
    sigma: number,
    meanTicks: number,
  ): CandleRow {
    const rng = this.rng;
    const move = Math.abs(logClose - logOpen);
    const s2 = sigma * sigma;
    const up = (Math.sqrt(move * move - 2 * s2 * Math.log(1 - rng.next())) - move) / 2;
    const down = (Math.sqrt(move * move - 2 * s2 * Math.log(1 - rng.next())) - move) / 2;
    const n = Math.max(1, Math.round(meanTicks + Math.sqrt(meanTicks) * rng.normal()));
    const lots = Math.max(n, Math.round(n * LOTS_MEAN + Math.sqrt(n) * LOTS_SD * rng.normal()));
    return {
      symbol: this.entry.symbol,
      interval,
      t,
      o: open,
      h: this.price(Math.max(logOpen, logClose) + up),
      l: this.price(Math.min(logOpen, logClose) - down),
      c: this.price(logClose),
      v: (lots * this.lotUnits) / this.lotScale,
      n,
    };
  }

  /**
   * On the tick grid and at least one tick; monotonic, so l <= o, c <= h survives rounding.
   * Gives roundToTick's result (integer / power of ten is the nearest double to the decimal, as
   * parsing its toFixed text is) without the string round-trip, which dominated the run time.
   */
  price(logPrice: number): number {
    const steps = Math.max(1, Math.round(Math.exp(logPrice) / this.entry.tickSize));
    return (steps * this.gridUnits) / this.gridScale;
  }

  /** A sum of whole-lot volumes, freed of the binary noise the additions left in it. */
  cleanVolume(v: number): number {
    return (Math.round(v / this.entry.sim.lotSize) * this.lotUnits) / this.lotScale;
  }

  private knot(salt: number, i: number): number {
    const u = mix32(this.seed, this.key(salt), i) / 4294967296;
    return Math.exp((u - 0.5) * REGIME_SPREAD) / REGIME_RMS;
  }
}

/** Smoothstep between two knots at fraction f. */
function smooth([a, b]: [number, number], f: number): number {
  return a + (b - a) * (f * f * (3 - 2 * f));
}
