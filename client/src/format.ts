// Number and time formatting for the dashboard. Pure: the locale and time zone are parameters.

const cache = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions) {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let nf = cache.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(locale, options);
    cache.set(key, nf);
  }
  return nf;
}

const DASH = '—';

function finite(value: number | undefined | null): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A price at the instrument's precision, e.g. 1,234.50 or 1.08542. */
export function formatPrice(value: number | undefined, precision: number, locale?: string): string {
  if (!finite(value)) return DASH;
  return numberFormat(locale, {
    minimumFractionDigits: precision,
    maximumFractionDigits: precision,
  }).format(value);
}

/**
 * A price with its currency (narrow symbol where the locale has one): $189.50, €178.40, ¥3,012.0.
 * The digits follow the instrument, not the currency's usual minor unit.
 */
export function formatMoney(
  value: number | undefined,
  precision: number,
  currency: string,
  locale?: string,
): string {
  if (!finite(value)) return DASH;
  try {
    return numberFormat(locale, {
      style: 'currency',
      currency,
      currencyDisplay: 'narrowSymbol',
      minimumFractionDigits: precision,
      maximumFractionDigits: precision,
    }).format(value);
  } catch {
    // Not an ISO 4217 code (a crypto quote asset, say): the code goes after the number.
    return `${formatPrice(value, precision, locale)} ${currency}`;
  }
}

/** A signed price difference: +1.25, −0.00012; zero has no sign. */
export function formatChange(
  value: number | undefined,
  precision: number,
  locale?: string,
): string {
  if (!finite(value)) return DASH;
  const rounded = roundTo(value, precision);
  return numberFormat(locale, {
    minimumFractionDigits: precision,
    maximumFractionDigits: precision,
    signDisplay: 'exceptZero',
  }).format(rounded === 0 ? 0 : rounded);
}

/** A signed percentage with two decimals: +0.53 %, −1.20 %. */
export function formatPercent(value: number | undefined, locale?: string): string {
  if (!finite(value)) return DASH;
  const rounded = roundTo(value, 2);
  return numberFormat(locale, {
    style: 'percent',
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
    signDisplay: 'exceptZero',
  }).format((rounded === 0 ? 0 : rounded) / 100);
}

/** Volumes and sizes: exact below 10,000, then compact (12.3K, 4.56M). */
export function formatVolume(value: number | undefined, locale?: string): string {
  if (!finite(value)) return DASH;
  if (Math.abs(value) < 10_000) {
    return numberFormat(locale, { maximumFractionDigits: value % 1 === 0 ? 0 : 4 }).format(value);
  }
  return numberFormat(locale, {
    notation: 'compact',
    maximumSignificantDigits: 3,
  }).format(value);
}

/** How long ago something happened, for "last update": 0.4 s, 12 s, 3 min, 2 h. */
export function formatAge(ms: number | undefined): string {
  if (!finite(ms)) return DASH;
  const t = Math.max(0, ms);
  if (t < 10_000) return `${(t / 1000).toFixed(1)} s`;
  if (t < 60_000) return `${Math.floor(t / 1000)} s`;
  if (t < 3_600_000) return `${Math.floor(t / 60_000)} min`;
  return `${Math.floor(t / 3_600_000)} h`;
}

/** A latency in milliseconds: 12 ms, 1.4 s. */
export function formatLatency(ms: number | undefined): string {
  if (!finite(ms)) return DASH;
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Rounds to `digits` decimals without the float noise of value * 10^n. */
export function roundTo(value: number, digits: number): number {
  return Number(value.toFixed(Math.min(Math.max(digits, 0), 20)));
}

/** Spread and change derived from a quote, rounded to the instrument's precision. */
export function spreadOf(bid: number, ask: number, precision: number): number {
  return roundTo(ask - bid, precision);
}

export function changeOf(last: number, prevClose: number): { change: number; changePct: number } {
  if (!finite(last) || !finite(prevClose) || prevClose === 0) {
    return { change: NaN, changePct: NaN };
  }
  const change = last - prevClose;
  return { change, changePct: (change / prevClose) * 100 };
}

// Chart axis and crosshair labels. Data stays UTC; only these labels use the browser's zone.

export type TickMark = 'year' | 'month' | 'day' | 'time' | 'seconds';

const dateCache = new Map<string, Intl.DateTimeFormat>();

function dateFormat(
  locale: string | undefined,
  timeZone: string | undefined,
  options: Intl.DateTimeFormatOptions,
) {
  const key = `${locale ?? ''}|${timeZone ?? ''}|${JSON.stringify(options)}`;
  let df = dateCache.get(key);
  if (!df) {
    df = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    dateCache.set(key, df);
  }
  return df;
}

/** A tick-mark label on the chart's time axis for a UTC epoch in ms. */
export function formatTickMark(
  ms: number,
  mark: TickMark,
  locale?: string,
  timeZone?: string,
): string {
  const opts: Intl.DateTimeFormatOptions =
    mark === 'year'
      ? { year: 'numeric' }
      : mark === 'month'
        ? { month: 'short' }
        : mark === 'day'
          ? { day: 'numeric', month: 'short' }
          : mark === 'time'
            ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
            : { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
  return dateFormat(locale, timeZone, opts).format(ms);
}

/** The crosshair's full time label: 12 Mar 2025, 14:05:09 (seconds only where they matter). */
export function formatCrosshairTime(
  ms: number,
  withSeconds: boolean,
  locale?: string,
  timeZone?: string,
): string {
  return dateFormat(locale, timeZone, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  }).format(ms);
}
