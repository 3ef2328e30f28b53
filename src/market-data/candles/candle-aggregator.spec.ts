import fc from 'fast-check';
import {
  INTERVAL_MS,
  bucketStart,
  type Candle,
  type Interval,
  type LiveCandle,
  type Tick,
} from '../../contracts';
import type { CandleRow } from '../../storage/quote-store';
import { CandleAggregator } from './candle-aggregator';
import { aggregate } from './candle-math';

const NOON = Date.UTC(2026, 2, 9, 12, 0, 0);
const MIN = 60_000;

let seq = 0;
function tick(symbol: string, ts: number, last: number, size = 1): Tick {
  seq += 1;
  return { symbol, seq, ts, bid: last, ask: last, bidSize: 1, askSize: 1, last, size, volume: 0 };
}

function candleOf(x: Candle): Candle {
  return { t: x.t, o: x.o, h: x.h, l: x.l, c: x.c, v: x.v, n: x.n };
}

function closedOf(updates: LiveCandle[], symbol: string, interval: Interval): Candle[] {
  return updates
    .filter((u) => u.closed && u.symbol === symbol && u.interval === interval)
    .map(candleOf);
}

/**
 * The candles a user expects from a list of one symbol's ticks, built in one pass without the
 * aggregator: a bucket per interval from the first tick's bucket up to the last one that has
 * ended by `end`, empty buckets at the previous close.
 */
function expectedCandles(ticks: Tick[], interval: Interval, end: number): Candle[] {
  const ms = INTERVAL_MS[interval];
  const out: Candle[] = [];
  if (ticks.length === 0) return out;
  let i = 0;
  let prevClose = ticks[0].last;
  for (let t = ticks[0].ts - (ticks[0].ts % ms); t + ms <= end; t += ms) {
    const inBucket: Tick[] = [];
    while (i < ticks.length && ticks[i].ts < t + ms) inBucket.push(ticks[i++]);
    if (inBucket.length === 0) {
      out.push({ t, o: prevClose, h: prevClose, l: prevClose, c: prevClose, v: 0, n: 0 });
      continue;
    }
    const prices = inBucket.map((x) => x.last);
    const volume = inBucket.reduce((sum, x) => sum + x.size, 0);
    prevClose = prices[prices.length - 1];
    out.push({
      t,
      o: prices[0],
      h: Math.max(...prices),
      l: Math.min(...prices),
      c: prevClose,
      v: Number(volume.toFixed(8)),
      n: inBucket.length,
    });
  }
  return out;
}

type Event =
  | { kind: 'tick'; gap: number; symbol: string; price: number; size: number }
  | { kind: 'advance'; gap: number }
  | { kind: 'take'; gap: number };

function events(maxGap: number, maxEvents: number): fc.Arbitrary<Event[]> {
  const gap = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: Math.ceil(maxGap / 100) }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: maxGap }) },
  );
  const event: fc.Arbitrary<Event> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('tick' as const),
        gap,
        symbol: fc.constantFrom('AAA', 'BBB'),
        // Cent prices and lot sizes like the catalog's, 0.05 BTC included.
        price: fc.integer({ min: 1, max: 50_000 }).map((x) => x / 100),
        size: fc
          .tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom(0.05, 0.5, 1, 100))
          .map(([lots, lot]) => Number((lots * lot).toFixed(8))),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), gap }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('take' as const), gap }) },
  );
  return fc.array(event, { minLength: 1, maxLength: maxEvents });
}

interface Run {
  sut: CandleAggregator;
  ticks: Map<string, Tick[]>;
  updates: LiveCandle[][];
  rows: CandleRow[][];
  end: number;
}

/** Plays events in time order, as the feed and a timer would, then advances past the last one. */
function play(intervals: Interval[], list: Event[], start: number, tail: number): Run {
  const sut = new CandleAggregator(intervals);
  const ticks = new Map<string, Tick[]>();
  const updates: LiveCandle[][] = [];
  const rows: CandleRow[][] = [];
  const take = () => {
    const batch = sut.takeUpdates();
    // Every open candle pushed is the state the aggregator holds at that moment.
    for (const u of batch.filter((x) => !x.closed))
      expect(u).toEqual(sut.open(u.symbol, u.interval));
    updates.push(batch);
    rows.push(sut.takeRows());
  };
  let now = start;
  for (const e of list) {
    now += e.gap;
    if (e.kind === 'tick') {
      const t = tick(e.symbol, now, e.price, e.size);
      sut.apply(t);
      ticks.set(e.symbol, [...(ticks.get(e.symbol) ?? []), t]);
    } else if (e.kind === 'advance') sut.advance(now);
    else take();
  }
  const end = now + tail;
  sut.advance(end);
  take();
  return { sut, ticks, updates, rows, end };
}

function checkRun(run: Run, intervals: Interval[]): void {
  const all = run.updates.flat();
  for (const symbol of ['AAA', 'BBB']) {
    const ticks = run.ticks.get(symbol) ?? [];
    for (const interval of intervals) {
      const closed = closedOf(all, symbol, interval);
      // Built incrementally, with advance/take at arbitrary moments, equals built in one go;
      // this also says each closed bucket comes out once, in order, aligned, empty ones included.
      expect(closed).toEqual(expectedCandles(ticks, interval, run.end));
      expect(closed.filter((c) => c.l > Math.min(c.o, c.c) || c.h < Math.max(c.o, c.c))).toEqual(
        [],
      );
    }
    // A coarser candle is the aggregate of the finer ones inside it.
    for (let k = 1; k < intervals.length; k++) {
      const inside = new Map<number, Candle[]>();
      for (const f of closedOf(all, symbol, intervals[k - 1])) {
        const t = bucketStart(f.t, intervals[k]);
        inside.set(t, [...(inside.get(t) ?? []), f]);
      }
      for (const coarse of closedOf(all, symbol, intervals[k]))
        expect(aggregate(inside.get(coarse.t) ?? [], coarse.t)).toEqual(coarse);
    }
  }

  // Rows: unique per call, and upserting them all leaves the store equal to what was pushed.
  const store = new Map<string, Candle>();
  for (const batch of run.rows) {
    const keys = batch.map((r) => `${r.symbol} ${r.interval} ${r.t}`);
    expect(new Set(keys).size).toBe(keys.length);
    batch.forEach((r, i) => store.set(keys[i], candleOf(r)));
  }
  const expected = new Map<string, Candle>();
  for (const u of all.filter((x) => x.closed))
    expected.set(`${u.symbol} ${u.interval} ${u.t}`, candleOf(u));
  for (const symbol of ['AAA', 'BBB'])
    for (const interval of intervals) {
      const open = run.sut.open(symbol, interval);
      if (open) expected.set(`${symbol} ${interval} ${open.t}`, candleOf(open));
    }
  expect(store).toEqual(expected);
}

describe('CandleAggregator', () => {
  it('buckets a tick at the UTC start of each interval', () => {
    const sut = new CandleAggregator();
    sut.apply(tick('AAA', Date.UTC(2026, 2, 7, 13, 47, 29, 250), 10));
    const starts = {
      '1s': Date.UTC(2026, 2, 7, 13, 47, 29),
      '1m': Date.UTC(2026, 2, 7, 13, 47),
      '5m': Date.UTC(2026, 2, 7, 13, 45),
      '15m': Date.UTC(2026, 2, 7, 13, 45),
      '1h': Date.UTC(2026, 2, 7, 13, 0),
      '1d': Date.UTC(2026, 2, 7),
    };
    for (const [interval, t] of Object.entries(starts))
      expect(sut.open('AAA', interval as Interval)).toMatchObject({ t, o: 10, c: 10, n: 1 });
  });

  it('matches one-pass candles over random tick streams (1s to 5m)', () => {
    const intervals: Interval[] = ['1s', '1m', '5m'];
    fc.assert(
      fc.property(events(90_000, 150), fc.integer({ min: 0, max: 5 * MIN }), (list, tail) =>
        checkRun(play(intervals, list, NOON - 7 * MIN + 123, tail), intervals),
      ),
      { numRuns: 60 },
    );
  });

  it('matches one-pass candles over random tick streams (1m to 1d, across midnight)', () => {
    const intervals: Interval[] = ['1m', '5m', '15m', '1h', '1d'];
    fc.assert(
      fc.property(
        events(8 * 3_600_000, 120),
        fc.integer({ min: 0, max: 86_400_000 }),
        (list, tail) => checkRun(play(intervals, list, NOON + 9 * 3_600_000, tail), intervals),
      ),
      { numRuns: 40 },
    );
  });

  it('fills buckets that pass without a tick with the previous close', () => {
    const sut = new CandleAggregator(['1m', '5m']);
    sut.apply(tick('AAA', NOON + 10_000, 101.5, 2));
    sut.apply(tick('AAA', NOON + 20_000, 101.25, 3));
    sut.advance(NOON + 3 * MIN);
    sut.apply(tick('AAA', NOON + 6 * MIN + 5_000, 99, 1));
    const closed = closedOf(sut.takeUpdates(), 'AAA', '1m');
    const quiet = { o: 101.25, h: 101.25, l: 101.25, c: 101.25, v: 0, n: 0 };
    expect(closed).toEqual([
      { t: NOON, o: 101.5, h: 101.5, l: 101.25, c: 101.25, v: 5, n: 2 },
      ...[1, 2, 3, 4, 5].map((k) => ({ t: NOON + k * MIN, ...quiet })),
    ]);
  });

  it('continues a seeded bucket that is still current', () => {
    const sut = new CandleAggregator(['1m', '5m']);
    sut.seed('AAA', '5m', { t: NOON, o: 100, h: 101, l: 99, c: 100.5, v: 3, n: 4 });
    sut.apply(tick('AAA', NOON + 3 * MIN + 1, 102, 1));
    sut.apply(tick('AAA', NOON + 3 * MIN + 2, 98.5, 1));
    expect(sut.open('AAA', '5m')).toMatchObject({
      t: NOON,
      o: 100,
      h: 102,
      l: 98.5,
      c: 98.5,
      v: 5,
      n: 6,
    });
    expect(sut.open('AAA', '1m')).toMatchObject({ t: NOON + 3 * MIN, o: 102, c: 98.5, n: 2 });
    sut.advance(NOON + 5 * MIN);
    expect(closedOf(sut.takeUpdates(), 'AAA', '5m')).toEqual([
      { t: NOON, o: 100, h: 102, l: 98.5, c: 98.5, v: 5, n: 6 },
    ]);
  });

  it('uses a past seed as the previous close only and leaves the downtime gap unfilled', () => {
    const sut = new CandleAggregator(['1m', '1h']);
    sut.seed('AAA', '1m', { t: NOON - 60 * MIN, o: 100, h: 100, l: 100, c: 100, v: 1, n: 1 });
    sut.seed('AAA', '1h', { t: NOON - 60 * MIN, o: 95, h: 100, l: 95, c: 100, v: 9, n: 9 });
    sut.advance(NOON + 30_000);
    expect(sut.takeUpdates()).toEqual([]);
    expect(sut.takeRows()).toEqual([]);
    sut.advance(NOON + 2 * MIN);
    const flat = { o: 100, h: 100, l: 100, c: 100, v: 0, n: 0 };
    expect(closedOf(sut.takeUpdates(), 'AAA', '1m')).toEqual([
      { t: NOON, ...flat },
      { t: NOON + MIN, ...flat },
    ]);
  });

  it('prices empty buckets of an unseeded interval at the freshest seeded close', () => {
    const sut = new CandleAggregator(['1s', '1m']);
    sut.seed('AAA', '1m', { t: NOON - MIN, o: 7, h: 8, l: 6, c: 7.5, v: 4, n: 4 });
    sut.advance(NOON);
    sut.advance(NOON + 2_000);
    expect(closedOf(sut.takeUpdates(), 'AAA', '1s').map((c) => [c.t, c.o, c.c, c.n])).toEqual([
      [NOON, 7.5, 7.5, 0],
      [NOON + 1_000, 7.5, 7.5, 0],
    ]);
  });

  it('produces nothing for a symbol it has never seen', () => {
    const sut = new CandleAggregator();
    sut.apply(tick('AAA', NOON, 1));
    sut.advance(NOON + 86_400_000);
    expect(sut.takeUpdates().some((u) => u.symbol !== 'AAA')).toBe(false);
    expect(sut.open('ZZZ', '1m')).toBeUndefined();
  });

  it('pushes closed candles first, then one latest state per open candle', () => {
    const sut = new CandleAggregator(['1m', '5m']);
    sut.apply(tick('AAA', NOON + 1_000, 10));
    sut.apply(tick('AAA', NOON + MIN + 1_000, 11));
    sut.apply(tick('AAA', NOON + MIN + 2_000, 12));
    const updates = sut.takeUpdates();
    expect(updates.map((u) => [u.interval, u.t, u.closed, u.c])).toEqual([
      ['1m', NOON, true, 10],
      ['1m', NOON + MIN, false, 12],
      ['5m', NOON, false, 12],
    ]);
    expect(sut.takeUpdates()).toEqual([]);
  });

  it('counts a tick behind an already closed bucket in the open one, never reopening it', () => {
    const sut = new CandleAggregator(['1s', '1m']);
    sut.apply(tick('AAA', NOON + MIN - 100, 10));
    sut.advance(NOON + MIN + 100);
    sut.apply(tick('AAA', NOON + MIN - 50, 11));
    const updates = sut.takeUpdates();
    expect(updates.filter((u) => u.closed).map((u) => [u.interval, u.t, u.n])).toEqual([
      ['1s', NOON + MIN - 1_000, 1],
      ['1m', NOON, 1],
    ]);
    expect(sut.open('AAA', '1m')).toMatchObject({ t: NOON + MIN, o: 11, n: 1 });
    expect(sut.open('AAA', '1s')).toMatchObject({ t: NOON + MIN, o: 11, n: 1 });
  });

  it('sums fractional lots without binary noise', () => {
    const sut = new CandleAggregator(['1m']);
    for (let i = 0; i < 3; i++) sut.apply(tick('BTC', NOON + i, 67_000, 0.05));
    expect(sut.open('BTC', '1m')?.v).toBe(0.15);
    expect(sut.takeRows()[0].v).toBe(0.15);
  });

  it('hands out copies the caller may keep', () => {
    const sut = new CandleAggregator(['1m']);
    sut.apply(tick('AAA', NOON, 10));
    const first = sut.takeUpdates()[0];
    const row = sut.takeRows()[0];
    const snapshot = sut.open('AAA', '1m')!;
    sut.apply(tick('AAA', NOON + 1, 20));
    expect([first.c, row.c, snapshot.c]).toEqual([10, 10, 10]);
    first.h = 999;
    expect(sut.open('AAA', '1m')?.h).toBe(20);
  });

  it('refuses a seed after the symbol started and a seed off the interval grid', () => {
    const sut = new CandleAggregator();
    const candle = { t: NOON, o: 1, h: 1, l: 1, c: 1, v: 1, n: 1 };
    expect(() => sut.seed('AAA', '1m', { ...candle, t: NOON + 1 })).toThrow(RangeError);
    sut.apply(tick('AAA', NOON, 1));
    expect(() => sut.seed('AAA', '1m', candle)).toThrow(/before its first tick/);
  });
});
