import {
  INTERVAL_MS,
  bucketStart,
  type Candle,
  type Interval,
  type LiveCandle,
} from '../../contracts';
import { CATALOG, type CatalogEntry } from '../../instruments/catalog';
import type { CandleRow } from '../../storage/quote-store';
import { CandleAggregator } from '../candles/candle-aggregator';
import { aggregate, rollUp } from '../candles/candle-math';
import { generateHistory, type HistoryOptions } from './history-generator';
import { PriceModel, roundToTick } from './price-model';

const LIVE_START = Date.UTC(2026, 10, 24, 9, 41, 27, 500);
const MIN = INTERVAL_MS['1m'];
const DAY = INTERVAL_MS['1d'];
const YEAR = 365.25 * DAY;
const TICKS_PER_SECOND = 11;
/** Coarse and fine tick grids, fractional lots, sub-cent and very volatile prices. */
const SYMBOLS = ['BTCUSD', 'EURUSD', '7203', 'SAP', 'HGUSD', 'DOGEUSD'];

function entry(symbol: string): CatalogEntry {
  const found = CATALOG.find((e) => e.symbol === symbol);
  if (!found) throw new Error(`${symbol} is not in the catalog`);
  return found;
}

function history(
  symbol: string,
  seed = 42,
  liveStart = LIVE_START,
  opts: HistoryOptions = {},
): Map<Interval, CandleRow[]> {
  const byInterval = new Map<Interval, CandleRow[]>();
  const options = { ticksPerSecond: TICKS_PER_SECOND, ...opts };
  for (const batch of generateHistory(seed, entry(symbol), liveStart, options)) {
    for (const row of batch) {
      const list = byInterval.get(row.interval) ?? [];
      list.push(row);
      byInterval.set(row.interval, list);
    }
  }
  return byInterval;
}

function candles(rows: readonly CandleRow[]): Candle[] {
  return rows.map(({ t, o, h, l, c, v, n }) => ({ t, o, h, l, c, v, n }));
}

const generated = new Map(SYMBOLS.map((s) => [s, history(s)]));
function of(symbol: string, interval: Interval): CandleRow[] {
  return generated.get(symbol)?.get(interval) ?? [];
}

describe('generateHistory', () => {
  it('covers 30 days of 1m and two years of 1d, ascending and aligned to UTC buckets', () => {
    for (const symbol of SYMBOLS) {
      expect(of(symbol, '1m').length).toBeGreaterThanOrEqual(30 * 1440);
      expect(of(symbol, '1d').length).toBeGreaterThanOrEqual(730);
      expect(of(symbol, '1d')[0].t).toBeLessThanOrEqual(LIVE_START - 730 * DAY);
      for (const [interval, rows] of generated.get(symbol)!) {
        const ms = INTERVAL_MS[interval];
        const misaligned = rows.filter((r) => r.t !== bucketStart(r.t, interval));
        expect(misaligned).toEqual([]);
        const unordered = rows.filter((r, i) => i > 0 && r.t !== rows[i - 1].t + ms);
        // 24/7 markets: each interval is one unbroken run of buckets.
        expect(unordered).toEqual([]);
      }
      expect([...generated.get(symbol)!.keys()].sort()).toEqual(['15m', '1d', '1h', '1m', '5m']);
    }
  });

  it("yields rows in the stores' key order (interval as text, then t), which bulk inserts need", () => {
    const keys: string[] = [];
    for (const batch of generateHistory(42, entry('SAP'), LIVE_START, { batchSize: 4096 })) {
      for (const row of batch) keys.push(`${row.interval}|${String(row.t).padStart(15, '0')}`);
    }
    const outOfOrder = keys.filter((key, i) => i > 0 && !(keys[i - 1] < key));
    expect(outOfOrder).toEqual([]);
    expect(keys.length).toBeGreaterThan(30 * 1440);
  });

  it('ends where the live feed begins, at the start price', () => {
    for (const symbol of SYMBOLS) {
      const { sim, tickSize } = entry(symbol);
      const minutes = of(symbol, '1m');
      const last = minutes[minutes.length - 1];
      expect(last.t + MIN).toBe(bucketStart(LIVE_START, '1m'));
      expect(Math.abs(last.c - sim.startPrice)).toBeLessThanOrEqual(2 * tickSize + 1e-12);
      // The coarser buckets holding the live start exist, partial, for the live aggregator to continue.
      for (const interval of ['5m', '15m', '1h', '1d'] as const) {
        const rows = of(symbol, interval);
        expect(rows[rows.length - 1].t).toBe(bucketStart(LIVE_START, interval));
      }
    }
  });

  it('keeps l <= o, c <= h with positive prices on the tick grid and whole-lot volumes', () => {
    for (const symbol of SYMBOLS) {
      const { tickSize, pricePrecision, sim } = entry(symbol);
      for (const rows of generated.get(symbol)!.values()) {
        const bad = rows.filter(
          (r) =>
            !(r.l > 0 && r.l <= Math.min(r.o, r.c) && r.h >= Math.max(r.o, r.c)) ||
            [r.o, r.h, r.l, r.c].some((p) => p !== roundToTick(p, tickSize, pricePrecision)) ||
            !(r.n >= 1 && r.v >= r.n * sim.lotSize - 1e-9) ||
            r.v !== Number(r.v.toFixed(8)) ||
            Math.abs(r.v / sim.lotSize - Math.round(r.v / sim.lotSize)) > 1e-6,
        );
        expect(bad).toEqual([]);
      }
    }
  });

  it('makes every 5m, 15m, 1h and 1d over the 1m range the aggregate of its 1m candles', () => {
    for (const symbol of SYMBOLS) {
      const minutes = candles(of(symbol, '1m'));
      for (const interval of ['5m', '15m', '1h', '1d'] as const) {
        const inRange = candles(of(symbol, interval)).filter((c) => c.t >= minutes[0].t);
        expect(inRange).toEqual(rollUp(minutes, interval));
      }
    }
  });

  it('opens every candle at the previous close, across the join of daily walk and minutes', () => {
    for (const symbol of SYMBOLS) {
      for (const interval of ['1m', '1d'] as const) {
        const rows = of(symbol, interval);
        const jumps = rows.filter((r, i) => i > 0 && r.o !== rows[i - 1].c);
        expect(jumps).toEqual([]);
      }
      const minutes = of(symbol, '1m');
      const beforeMinutes = of(symbol, '1d').filter((d) => d.t < minutes[0].t);
      expect(beforeMinutes.length).toBeGreaterThanOrEqual(700);
      expect(beforeMinutes[beforeMinutes.length - 1].c).toBe(minutes[0].o);
    }
  });

  it('gives identical output for the same seed and minute, other prices for another seed', () => {
    const again = history('BTCUSD', 42, LIVE_START - 20_000);
    expect(JSON.stringify([...again])).toBe(JSON.stringify([...generated.get('BTCUSD')!]));
    const other = history('BTCUSD', 43);
    const closes = (h: Map<Interval, CandleRow[]>) => h.get('1m')!.map((r) => r.c);
    expect(closes(other)).not.toEqual(closes(generated.get('BTCUSD')!));
    expect(other.get('1m')!.at(-1)!.c).toBe(entry('BTCUSD').sim.startPrice);
  });

  it('moves with the instrument volatility, busier around midnight UTC than at noon', () => {
    for (const symbol of ['BTCUSD', 'EURUSD', 'SAP']) {
      const { sim } = entry(symbol);
      const annualised = (rows: CandleRow[], ms: number) => {
        const r = rows.slice(1).map((x, i) => Math.log(x.c / rows[i].c));
        const mean = r.reduce((a, b) => a + b, 0) / r.length;
        const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1);
        return Math.sqrt((variance * YEAR) / ms);
      };
      const minuteVol = annualised(of(symbol, '1m'), MIN);
      expect(minuteVol / sim.volatility).toBeGreaterThan(0.75);
      expect(minuteVol / sim.volatility).toBeLessThan(1.35);
      const dailyVol = annualised(of(symbol, '1d'), DAY);
      expect(dailyVol / sim.volatility).toBeGreaterThan(0.6);
      expect(dailyVol / sim.volatility).toBeLessThan(1.6);

      const meanAbsMove = (hours: number[]) => {
        const rows = of(symbol, '1m').filter((r) => hours.includes(new Date(r.t).getUTCHours()));
        return rows.reduce((sum, r) => sum + Math.abs(Math.log(r.c / r.o)), 0) / rows.length;
      };
      expect(meanAbsMove([23, 0, 1])).toBeGreaterThan(1.3 * meanAbsMove([11, 12, 13]));
    }
  });

  it('trades at about the live feed rate, in the live model lot sizes', () => {
    for (const symbol of SYMBOLS) {
      const { sim } = entry(symbol);
      const minutes = of(symbol, '1m');
      const ticks = minutes.reduce((sum, r) => sum + r.n, 0);
      const lots = minutes.reduce((sum, r) => sum + r.v / sim.lotSize, 0);
      expect(ticks / minutes.length / (TICKS_PER_SECOND * 60)).toBeGreaterThan(0.85);
      expect(ticks / minutes.length / (TICKS_PER_SECOND * 60)).toBeLessThan(1.15);
      // Live trades are 1 + floor(Exp(2.5)) lots: about three on average.
      expect(lots / ticks).toBeGreaterThan(2.5);
      expect(lots / ticks).toBeLessThan(3.5);
    }
  });

  it('seeds the live aggregator so the buckets holding the live start continue seamlessly', () => {
    const btc = entry('BTCUSD');
    const rows = generated.get('BTCUSD')!;
    const sut = new CandleAggregator();
    for (const [interval, list] of rows) {
      const latest = list[list.length - 1];
      if (latest.t + INTERVAL_MS[interval] > LIVE_START) sut.seed('BTCUSD', interval, latest);
    }

    // The live simulator as it starts on an empty store: at the start price, at the live start.
    const model = new PriceModel(42, btc, { ticksPerSecond: TICKS_PER_SECOND });
    const state = model.initialState(LIVE_START);
    const end = bucketStart(LIVE_START, '15m') + 16 * MIN;
    let ts = LIVE_START + model.gapAfter(0);
    const updates: LiveCandle[] = [];
    let first: number | undefined;
    while (ts < end) {
      const tick = model.next(state, ts);
      first ??= tick.last;
      sut.apply(tick);
      ts += model.gapAfter(tick.seq);
    }
    sut.advance(end);
    updates.push(...sut.takeUpdates());

    const lastClose = rows.get('1m')!.at(-1)!.c;
    expect(Math.abs(first! - lastClose) / lastClose).toBeLessThan(0.001);
    const liveMinutes = updates.filter((u) => u.closed && u.interval === '1m');
    const allMinutes = [...candles(rows.get('1m')!), ...candles(liveMinutes)];
    for (const interval of ['5m', '15m'] as const) {
      const t = bucketStart(LIVE_START, interval);
      const closed = updates.find((u) => u.closed && u.interval === interval && u.t === t)!;
      const inside = allMinutes.filter((m) => m.t >= t && m.t < t + INTERVAL_MS[interval]);
      expect(candles([closed])).toEqual([aggregate(inside, t)]);
      expect(closed.o).toBe(rows.get(interval)!.at(-1)!.o);
    }
    const today = sut.open('BTCUSD', '1d')!;
    const seededDay = rows.get('1d')!.at(-1)!;
    expect(today.t).toBe(seededDay.t);
    expect(today.o).toBe(seededDay.o);
    expect(today.n).toBe(seededDay.n + state.seq);
  });
});
