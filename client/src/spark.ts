// The session sparkline's model: closes in fixed buckets for the current UTC day, and its SVG path.
import { bucketStart, INTERVAL_MS, utcDay, type Candle, type Interval } from '../../src/contracts';

/** The sparkline's step, also the interval of the candles that fill it in from history. */
export const SPARK_INTERVAL: Interval = '5m';
export const SPARK_BUCKET_MS = INTERVAL_MS[SPARK_INTERVAL];
/** Buckets in a full UTC day: the most history a session needs. */
export const SPARK_BUCKETS_PER_DAY = INTERVAL_MS['1d'] / SPARK_BUCKET_MS;

/** A session's line as views read it. */
export interface SessionLine {
  readonly t: readonly number[];
  readonly c: readonly number[];
  readonly session: number;
}

export class SessionSeries implements SessionLine {
  /** Bucket starts (UTC ms), ascending, and the last price seen in each. */
  readonly t: number[] = [];
  readonly c: number[] = [];
  private day = NaN;

  /** Start of the UTC day the series covers (NaN before the first point). */
  get session(): number {
    return this.day;
  }

  /** Merges REST candles of the session; live points already held win over stored ones. */
  addCandles(candles: readonly Candle[]): void {
    for (const k of candles) this.add(k.t, k.c, false);
  }

  /** A live price; returns true when the drawn line changes. */
  addPrice(ts: number, price: number): boolean {
    return this.add(ts, price, true);
  }

  private add(ts: number, price: number, live: boolean): boolean {
    if (!Number.isFinite(price)) return false;
    const day = utcDay(ts);
    if (day !== this.day) {
      if (day < this.day) return false;
      // A new UTC day starts a new session.
      this.day = day;
      this.t.length = 0;
      this.c.length = 0;
    }
    const bucket = bucketStart(ts, SPARK_INTERVAL);
    const n = this.t.length;
    if (n === 0 || bucket > this.t[n - 1]) {
      this.t.push(bucket);
      this.c.push(price);
      return true;
    }
    if (bucket === this.t[n - 1]) {
      if (!live || this.c[n - 1] === price) return false;
      this.c[n - 1] = price;
      return true;
    }
    // Older bucket: fill it in from history only if missing.
    if (live) return false;
    let i = n - 1;
    while (i >= 0 && this.t[i] > bucket) i--;
    if (i >= 0 && this.t[i] === bucket) return false;
    this.t.splice(i + 1, 0, bucket);
    this.c.splice(i + 1, 0, price);
    return true;
  }
}

/**
 * An SVG path through `values` scaled into width x height (y grows downward), with `baseline`
 * (the previous close) kept inside the vertical range so the line reads against it.
 */
export function sparkPath(
  values: readonly number[],
  width: number,
  height: number,
  baseline?: number,
): string {
  const n = values.length;
  if (n === 0) return '';
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (baseline !== undefined && Number.isFinite(baseline)) {
    min = Math.min(min, baseline);
    max = Math.max(max, baseline);
  }
  const span = max - min || 1;
  const pad = 1;
  const h = height - 2 * pad;
  const yOf = (v: number) => (pad + h - ((v - min) / span) * h).toFixed(1);
  if (n === 1) return `M0 ${yOf(values[0])}L${width} ${yOf(values[0])}`;
  const step = width / (n - 1);
  let d = '';
  for (let i = 0; i < n; i++)
    d += `${i === 0 ? 'M' : 'L'}${(i * step).toFixed(1)} ${yOf(values[i])}`;
  return d;
}

/** The y of `value` on the same scale as sparkPath, for drawing the baseline. */
export function sparkY(
  values: readonly number[],
  height: number,
  value: number,
  baseline?: number,
): number {
  let min = Math.min(...values, value);
  let max = Math.max(...values, value);
  if (baseline !== undefined && Number.isFinite(baseline)) {
    min = Math.min(min, baseline);
    max = Math.max(max, baseline);
  }
  const span = max - min || 1;
  const h = height - 2;
  return 1 + h - ((value - min) / span) * h;
}
