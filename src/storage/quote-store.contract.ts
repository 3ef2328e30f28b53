// The behaviour every QuoteStore must show; each implementation's spec runs it against itself.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Candle, Interval, Tick } from '../contracts';
import {
  type CandleRow,
  type QuoteStore,
  StoreFencedError,
  type TickQuery,
  type WriteBatch,
} from './quote-store';

/** A place a store lives (a temporary file, a fresh schema), reopenable until destroyed. */
export interface QuoteStoreLocation {
  /** A new, initialised store over this location; after close() a second call reopens the data. */
  open(): Promise<QuoteStore>;
  /** Removes the location and everything in it. */
  destroy(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);

/** `count` ticks of one symbol, seq from `firstSeq`, one per `stepMs`, prices off the binary grid. */
function makeTicks(
  symbol: string,
  count: number,
  { firstSeq = 1, startTs = T0, stepMs = 1_000 } = {},
): Tick[] {
  return Array.from({ length: count }, (_, i) => {
    const bid = 187.23 + (firstSeq + i) * 0.01;
    return {
      symbol,
      seq: firstSeq + i,
      ts: startTs + i * stepMs,
      bid,
      ask: bid + 0.02,
      last: bid + 0.01,
      size: 100 + i,
      volume: 1_000.5 + i * 100,
      bidSize: 300 + i,
      askSize: 0.25 + i,
    };
  });
}

function candle(symbol: string, interval: Interval, t: number, c = 1.5, n = 3): CandleRow {
  return { symbol, interval, t, o: 1.25, h: 2.5, l: 0.75, c, v: 42.125, n };
}

function stripped({ symbol: _s, interval: _i, ...rest }: CandleRow): Candle {
  return rest;
}

const seqs = (ticks: Tick[]) => ticks.map((t) => t.seq);
const times = (candles: Candle[]) => candles.map((c) => c.t);

export function describeQuoteStoreContract(
  name: string,
  createLocation: () => Promise<QuoteStoreLocation>,
): void {
  describe(`${name} (QuoteStore contract)`, () => {
    let location: QuoteStoreLocation;
    let sut: QuoteStore;

    beforeEach(async () => {
      location = await createLocation();
      sut = await location.open();
    });

    afterEach(async () => {
      await sut?.close();
      await location?.destroy();
    });

    describe('an empty store', () => {
      it('is empty and answers every read with nothing', async () => {
        expect(await sut.isEmpty()).toBe(true);
        expect(await sut.lastTicks()).toEqual(new Map());
        expect(await sut.firstSeq('AAPL')).toBeUndefined();
        expect(await sut.ticks('AAPL', { order: 'asc', limit: 10 })).toEqual([]);
        expect(await sut.ticks('AAPL', { order: 'latest', limit: 10 })).toEqual([]);
        expect(await sut.candles('AAPL', '1m', { order: 'latest', limit: 10 })).toEqual([]);
        expect(await sut.lastCandleBefore('AAPL', '1d', T0)).toBeUndefined();
        expect(await sut.prune({ ticksBefore: T0, candlesBefore: { '1s': T0 } })).toEqual({
          ticks: 0,
          candles: 0,
        });
      });

      it('is no longer empty once it holds a tick, or only a candle', async () => {
        await sut.write({ ticks: makeTicks('AAPL', 1), candles: [] });
        expect(await sut.isEmpty()).toBe(false);

        const other = await createLocation();
        const candlesOnly = await other.open();
        try {
          await candlesOnly.write({ ticks: [], candles: [candle('AAPL', '1d', T0)] });
          expect(await candlesOnly.isEmpty()).toBe(false);
        } finally {
          await candlesOnly.close();
          await other.destroy();
        }
      });

      it('accepts an empty batch', async () => {
        await sut.write({ ticks: [], candles: [] });
        expect(await sut.isEmpty()).toBe(true);
      });
    });

    describe('writing', () => {
      it('returns ticks with exactly the values written', async () => {
        const ticks: Tick[] = [
          {
            symbol: 'BTCUSD',
            seq: 1,
            ts: T0,
            bid: 0.1 + 0.2,
            ask: 97_123.45,
            last: 97_123.4,
            size: 0.001,
            volume: 1234.5678,
            bidSize: 0.125,
            askSize: 3.75,
          },
          {
            symbol: 'BTCUSD',
            seq: 2 ** 52,
            ts: Date.UTC(2100, 11, 31, 23, 59, 59, 999),
            bid: 1e-9,
            ask: 123_456_789.123_456_78,
            last: Number.MIN_VALUE,
            size: 2 ** 40 + 0.5,
            volume: Number.MAX_SAFE_INTEGER,
            bidSize: 0,
            askSize: 2 ** 40,
          },
        ];
        await sut.write({ ticks, candles: [] });
        expect(await sut.ticks('BTCUSD', { order: 'asc', limit: 10 })).toEqual(ticks);
        expect(await sut.lastTicks()).toEqual(new Map([['BTCUSD', ticks[1]]]));
      });

      it('returns candles with exactly the values written', async () => {
        const rows: CandleRow[] = [
          {
            symbol: 'EURUSD',
            interval: '1m',
            t: T0,
            o: 1.0841,
            h: 1.08415,
            l: 1.0839,
            c: 1.08401,
            v: 0.1 + 0.2,
            n: 17,
          },
          {
            symbol: 'EURUSD',
            interval: '1m',
            t: T0 + 60_000,
            o: 1.08401,
            h: 1.1,
            l: 1e-7,
            c: 1.0999999,
            v: 2 ** 45,
            n: 1,
          },
        ];
        await sut.write({ ticks: [], candles: rows });
        expect(await sut.candles('EURUSD', '1m', { order: 'asc', limit: 10 })).toEqual(
          rows.map(stripped),
        );
      });

      it('keeps symbols with quotes, commas, braces and backslashes intact', async () => {
        const symbols = ['BRK.B', 'A "B", C', 'X\\Y{1}', "O'NEIL"];
        const ticks = symbols.flatMap((symbol) => makeTicks(symbol, 2));
        await sut.write({ ticks, candles: symbols.map((symbol) => candle(symbol, '1m', T0)) });
        for (const symbol of symbols) {
          expect(await sut.ticks(symbol, { order: 'asc', limit: 10 })).toEqual(
            makeTicks(symbol, 2),
          );
          expect(await sut.candles(symbol, '1m', { order: 'asc', limit: 10 })).toHaveLength(1);
        }
        expect([...(await sut.lastTicks()).keys()].sort()).toEqual([...symbols].sort());
      });

      it('loads history with exact values, any symbol text, and beside later writes', async () => {
        const symbols = ['EURUSD', 'A "B", C', 'TAB\tNL\nCR\rBS\\'];
        const rows: CandleRow[] = symbols.flatMap((symbol) =>
          Array.from({ length: 120 }, (_, i) => ({
            symbol,
            interval: (i % 2 ? '1m' : '1d') as Interval,
            t: T0 + i * 86_400_000,
            o: 1.0841 + i * 1e-5,
            h: 1.1,
            l: 1e-7,
            c: 0.1 + 0.2,
            v: 2 ** 45 + i,
            n: i,
          })),
        );
        await sut.loadHistory(rows);
        await sut.write({ ticks: [], candles: [candle('EURUSD', '1m', T0 + 200 * 86_400_000)] });
        for (const symbol of symbols) {
          for (const interval of ['1m', '1d'] as const) {
            const expected = rows.filter((r) => r.symbol === symbol && r.interval === interval);
            if (symbol === 'EURUSD' && interval === '1m') {
              expected.push(candle('EURUSD', '1m', T0 + 200 * 86_400_000));
            }
            expect(await sut.candles(symbol, interval, { order: 'asc', limit: 500 })).toEqual(
              expected.map(stripped),
            );
          }
        }
        expect(await sut.isEmpty()).toBe(false);
      });

      it('writes ticks and candles of one batch together', async () => {
        await sut.write({
          ticks: makeTicks('MSFT', 3),
          candles: [candle('MSFT', '1s', T0), candle('MSFT', '1m', T0)],
        });
        expect(seqs(await sut.ticks('MSFT', { order: 'asc', limit: 10 }))).toEqual([1, 2, 3]);
        expect(await sut.candles('MSFT', '1s', { order: 'asc', limit: 10 })).toHaveLength(1);
        expect(await sut.candles('MSFT', '1m', { order: 'asc', limit: 10 })).toHaveLength(1);
      });

      it('replaces a stored candle of the same symbol, interval and start', async () => {
        await sut.write({ ticks: [], candles: [candle('NVDA', '1m', T0, 1.5, 3)] });
        const updated = { ...candle('NVDA', '1m', T0, 1.75, 4), h: 3, v: 50 };
        await sut.write({ ticks: [], candles: [updated] });
        expect(await sut.candles('NVDA', '1m', { order: 'asc', limit: 10 })).toEqual([
          stripped(updated),
        ]);
      });

      it('keeps the last version when one batch carries a candle twice', async () => {
        await sut.write({
          ticks: [],
          candles: [candle('NVDA', '1s', T0, 1.5, 1), candle('NVDA', '1s', T0, 1.6, 2)],
        });
        expect(await sut.candles('NVDA', '1s', { order: 'asc', limit: 10 })).toEqual([
          stripped(candle('NVDA', '1s', T0, 1.6, 2)),
        ]);
      });

      it('keeps candles of other intervals and symbols apart', async () => {
        await sut.write({
          ticks: [],
          candles: [
            candle('SPY', '1m', T0, 1),
            candle('SPY', '5m', T0, 5),
            candle('QQQ', '1m', T0, 7),
          ],
        });
        expect(await sut.candles('SPY', '1m', { order: 'asc', limit: 10 })).toEqual([
          stripped(candle('SPY', '1m', T0, 1)),
        ]);
        expect(await sut.candles('SPY', '5m', { order: 'asc', limit: 10 })).toEqual([
          stripped(candle('SPY', '5m', T0, 5)),
        ]);
        expect(await sut.candles('SPY', '1h', { order: 'asc', limit: 10 })).toEqual([]);
      });

      it('ignores a tick whose symbol and seq are already stored (a retried batch)', async () => {
        const [first] = makeTicks('AAPL', 1);
        await sut.write({ ticks: [first], candles: [] });
        await sut.write({ ticks: [{ ...first, bid: 1, ask: 2 }], candles: [] });
        expect(await sut.ticks('AAPL', { order: 'asc', limit: 10 })).toEqual([first]);
      });

      it('stores a batch of thousands of rows and prunes it in several chunks', async () => {
        const ticks = [
          ...makeTicks('AAPL', 11_000, { stepMs: 10 }),
          ...makeTicks('MSFT', 2_500, { stepMs: 40 }),
          ...makeTicks('BTCUSD', 1_500, { firstSeq: 900_001, stepMs: 60 }),
        ];
        const symbols = Array.from({ length: 40 }, (_, i) => `SYM${i}`);
        const candles = symbols.flatMap((symbol) =>
          Array.from({ length: 60 }, (_, i) => candle(symbol, '1s', T0 + i * 1_000)),
        );
        await sut.write({ ticks, candles });

        expect(await sut.firstSeq('AAPL')).toBe(1);
        expect(await sut.firstSeq('BTCUSD')).toBe(900_001);
        const last = await sut.lastTicks();
        expect([...last.keys()].sort()).toEqual(['AAPL', 'BTCUSD', 'MSFT']);
        expect(last.get('AAPL')).toEqual(ticks[10_999]);
        expect(seqs(await sut.ticks('AAPL', { order: 'latest', limit: 3 }))).toEqual([
          10_998, 10_999, 11_000,
        ]);
        expect(await sut.candles('SYM39', '1s', { order: 'asc', limit: 1000 })).toHaveLength(60);

        const pruned = await sut.prune({
          ticksBefore: T0 + 24 * 3_600_000,
          candlesBefore: { '1s': T0 + 3_600_000 },
        });
        expect(pruned).toEqual({ ticks: 15_000, candles: 2_400 });
        expect(await sut.isEmpty()).toBe(true);
      });
    });

    describe('reading ticks', () => {
      // AAPL: seq 1..10 at T0 + (seq - 1) s; MSFT interleaved, which must never leak in.
      const aapl = makeTicks('AAPL', 10);
      const tsOf = (seq: number) => aapl[seq - 1].ts;

      beforeEach(async () => {
        await sut.write({ ticks: [...aapl.slice(0, 5), ...makeTicks('MSFT', 20)], candles: [] });
        await sut.write({ ticks: aapl.slice(5), candles: [] });
      });

      it.each<[string, Omit<TickQuery, 'limit' | 'order'>, number, number[], number[]]>([
        ['no bounds', {}, 3, [1, 2, 3], [8, 9, 10]],
        [
          'a limit above the row count',
          {},
          50,
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        ],
        ['fromTs (inclusive)', { fromTs: tsOf(4) }, 2, [4, 5], [9, 10]],
        ['toTs (exclusive)', { toTs: tsOf(7) }, 2, [1, 2], [5, 6]],
        ['fromTs and toTs', { fromTs: tsOf(3), toTs: tsOf(6) }, 10, [3, 4, 5], [3, 4, 5]],
        ['fromTs equal to toTs', { fromTs: tsOf(3), toTs: tsOf(3) }, 10, [], []],
        ['fromTs after toTs', { fromTs: tsOf(6), toTs: tsOf(3) }, 10, [], []],
        ['afterSeq (exclusive)', { afterSeq: 7 }, 10, [8, 9, 10], [8, 9, 10]],
        ['afterSeq at the last seq', { afterSeq: 10 }, 10, [], []],
        ['afterSeq 0', { afterSeq: 0 }, 2, [1, 2], [9, 10]],
        ['afterSeq with fromTs', { afterSeq: 2, fromTs: tsOf(5) }, 2, [5, 6], [9, 10]],
        ['afterSeq with toTs', { afterSeq: 6, toTs: tsOf(9) }, 10, [7, 8], [7, 8]],
        ['bounds before every tick', { toTs: tsOf(1) }, 10, [], []],
        ['bounds after every tick', { fromTs: tsOf(10) + 1 }, 10, [], []],
      ])(
        'with %s: asc gives the first matches, latest the last, both ascending',
        async (_label, bounds, limit, asc, latest) => {
          expect(seqs(await sut.ticks('AAPL', { ...bounds, limit, order: 'asc' }))).toEqual(asc);
          expect(seqs(await sut.ticks('AAPL', { ...bounds, limit, order: 'latest' }))).toEqual(
            latest,
          );
        },
      );

      it('returns whole ticks of the asked symbol only', async () => {
        expect(await sut.ticks('AAPL', { order: 'latest', limit: 2 })).toEqual(aapl.slice(8));
        expect(await sut.ticks('AAP', { order: 'asc', limit: 10 })).toEqual([]);
        expect(await sut.ticks('UNKNOWN', { order: 'latest', limit: 10 })).toEqual([]);
      });

      it('gives the last tick of every symbol', async () => {
        await sut.write({
          ticks: [...makeTicks('ETHUSD', 4, { firstSeq: 41 }), ...makeTicks('XAUUSD', 1)].reverse(),
          candles: [],
        });
        const last = await sut.lastTicks();
        expect([...last.keys()].sort()).toEqual(['AAPL', 'ETHUSD', 'MSFT', 'XAUUSD']);
        expect(last.get('AAPL')).toEqual(aapl[9]);
        expect(last.get('MSFT')?.seq).toBe(20);
        expect(last.get('ETHUSD')?.seq).toBe(44);
        expect(last.get('XAUUSD')).toEqual(makeTicks('XAUUSD', 1)[0]);
      });

      it('gives the lowest stored seq per symbol', async () => {
        expect(await sut.firstSeq('AAPL')).toBe(1);
        expect(await sut.firstSeq('ETHUSD')).toBeUndefined();
      });
    });

    describe('reading candles', () => {
      // 1m candles of SPY at T0 + k min, k = 0..9; a 5m candle and a QQQ candle beside them.
      const tOf = (k: number) => T0 + k * 60_000;
      beforeEach(async () => {
        await sut.write({
          ticks: [],
          candles: [
            ...Array.from({ length: 10 }, (_, k) => candle('SPY', '1m', tOf(k), 400 + k)),
            candle('SPY', '5m', tOf(0)),
            candle('QQQ', '1m', tOf(3)),
          ],
        });
      });

      it.each<[string, { from?: number; to?: number }, number, number[], number[]]>([
        ['no bounds', {}, 3, [0, 1, 2], [7, 8, 9]],
        [
          'a limit above the row count',
          {},
          100,
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        ],
        ['from (inclusive)', { from: tOf(6) }, 2, [6, 7], [8, 9]],
        ['to (exclusive)', { to: tOf(4) }, 2, [0, 1], [2, 3]],
        ['from and to', { from: tOf(2), to: tOf(5) }, 10, [2, 3, 4], [2, 3, 4]],
        ['from equal to to', { from: tOf(5), to: tOf(5) }, 10, [], []],
        ['from inside a bucket', { from: tOf(2) + 1 }, 2, [3, 4], [8, 9]],
        ['bounds after every candle', { from: tOf(10) }, 10, [], []],
      ])(
        'with %s: asc gives the first matches, latest the last, both ascending',
        async (_label, bounds, limit, asc, latest) => {
          expect(times(await sut.candles('SPY', '1m', { ...bounds, limit, order: 'asc' }))).toEqual(
            asc.map(tOf),
          );
          expect(
            times(await sut.candles('SPY', '1m', { ...bounds, limit, order: 'latest' })),
          ).toEqual(latest.map(tOf));
        },
      );

      it('finds the last candle strictly before a time, in the asked interval only', async () => {
        expect(await sut.lastCandleBefore('SPY', '1m', tOf(4))).toEqual(
          stripped(candle('SPY', '1m', tOf(3), 403)),
        );
        expect(await sut.lastCandleBefore('SPY', '1m', tOf(4) + 1)).toEqual(
          stripped(candle('SPY', '1m', tOf(4), 404)),
        );
        expect(await sut.lastCandleBefore('SPY', '1m', tOf(0))).toBeUndefined();
        expect(await sut.lastCandleBefore('SPY', '5m', tOf(99))).toEqual(
          stripped(candle('SPY', '5m', tOf(0))),
        );
        expect(await sut.lastCandleBefore('SPY', '1d', tOf(99))).toBeUndefined();
        expect(await sut.lastCandleBefore('QQQ', '1m', tOf(99))).toEqual(
          stripped(candle('QQQ', '1m', tOf(3))),
        );
      });
    });

    describe('pruning', () => {
      it('deletes ticks before the cutoff and keeps the tick at it', async () => {
        const aapl = makeTicks('AAPL', 10);
        const msft = makeTicks('MSFT', 3, { startTs: T0 + 60_000 });
        await sut.write({ ticks: [...aapl, ...msft], candles: [] });

        const result = await sut.prune({ ticksBefore: aapl[4].ts, candlesBefore: {} });

        expect(result).toEqual({ ticks: 4, candles: 0 });
        expect(await sut.firstSeq('AAPL')).toBe(5);
        expect(await sut.firstSeq('MSFT')).toBe(1);
        expect(seqs(await sut.ticks('AAPL', { order: 'asc', limit: 100 }))).toEqual([
          5, 6, 7, 8, 9, 10,
        ]);
        expect(await sut.prune({ ticksBefore: aapl[4].ts, candlesBefore: {} })).toEqual({
          ticks: 0,
          candles: 0,
        });
      });

      it('forgets the last tick of a symbol whose ticks were all pruned', async () => {
        await sut.write({ ticks: makeTicks('AAPL', 3), candles: [] });
        await sut.prune({ ticksBefore: T0 + 3_600_000, candlesBefore: {} });
        expect(await sut.lastTicks()).toEqual(new Map());
        expect(await sut.firstSeq('AAPL')).toBeUndefined();
      });

      it('deletes candles per interval before each cutoff and keeps unlisted intervals', async () => {
        const day = 86_400_000;
        await sut.write({
          ticks: [],
          candles: [
            ...[0, 1, 2, 3].map((k) => candle('AAPL', '1s', T0 + k * 1_000)),
            ...[0, 1, 2].map((k) => candle('MSFT', '1s', T0 + k * 1_000)),
            ...[0, 1, 2].map((k) => candle('AAPL', '1m', T0 + k * 60_000)),
            candle('AAPL', '1h', T0 - 30 * day),
            candle('AAPL', '1d', T0 - 3_650 * day),
          ],
        });

        const result = await sut.prune({
          ticksBefore: 0,
          candlesBefore: { '1s': T0 + 2_000, '1m': T0 + 60_000 },
        });

        expect(result).toEqual({ ticks: 0, candles: 2 + 2 + 1 });
        expect(times(await sut.candles('AAPL', '1s', { order: 'asc', limit: 10 }))).toEqual([
          T0 + 2_000,
          T0 + 3_000,
        ]);
        expect(times(await sut.candles('MSFT', '1s', { order: 'asc', limit: 10 }))).toEqual([
          T0 + 2_000,
        ]);
        expect(times(await sut.candles('AAPL', '1m', { order: 'asc', limit: 10 }))).toEqual([
          T0 + 60_000,
          T0 + 120_000,
        ]);
        expect(await sut.candles('AAPL', '1h', { order: 'asc', limit: 10 })).toHaveLength(1);
        expect(await sut.candles('AAPL', '1d', { order: 'asc', limit: 10 })).toHaveLength(1);
      });
    });

    describe('seq reservations', () => {
      it('has none at first, and raises them with the ticks of a batch', async () => {
        expect(await sut.reservations()).toEqual(new Map());
        await sut.write({
          ticks: makeTicks('AAPL', 3),
          candles: [],
          reservations: [
            { symbol: 'AAPL', through: 1_003 },
            { symbol: 'MSFT', through: 1_000 },
          ],
        });
        expect(await sut.reservations()).toEqual(
          new Map([
            ['AAPL', 1_003],
            ['MSFT', 1_000],
          ]),
        );
        expect(seqs(await sut.ticks('AAPL', { order: 'asc', limit: 10 }))).toEqual([1, 2, 3]);
      });

      it('writes a batch that carries only reservations', async () => {
        await sut.write({ ticks: [], candles: [], reservations: [{ symbol: 'AAPL', through: 7 }] });
        expect(await sut.reservations()).toEqual(new Map([['AAPL', 7]]));
        // Reservations are not market data: a first start still backfills.
        expect(await sut.isEmpty()).toBe(true);
      });

      it('never lowers a reservation by a write, and keeps the highest of one batch', async () => {
        await sut.write({
          ticks: [],
          candles: [],
          reservations: [{ symbol: 'AAPL', through: 2_000 }],
        });
        await sut.write({
          ticks: makeTicks('AAPL', 2),
          candles: [],
          reservations: [
            { symbol: 'AAPL', through: 1_500 },
            { symbol: 'EURUSD', through: 10 },
            { symbol: 'EURUSD', through: 30 },
          ],
        });
        expect(await sut.reservations()).toEqual(
          new Map([
            ['AAPL', 2_000],
            ['EURUSD', 30],
          ]),
        );
      });

      it('releases a reservation down to the given seq, and keeps the others', async () => {
        await sut.write({
          ticks: [],
          candles: [],
          reservations: [
            { symbol: 'AAPL', through: 2_000 },
            { symbol: 'MSFT', through: 1_000 },
          ],
        });
        await sut.releaseReservations([{ symbol: 'AAPL', through: 42 }]);
        expect(await sut.reservations()).toEqual(
          new Map([
            ['AAPL', 42],
            ['MSFT', 1_000],
          ]),
        );
        await sut.releaseReservations([]);
        expect(await sut.reservations()).toEqual(
          new Map([
            ['AAPL', 42],
            ['MSFT', 1_000],
          ]),
        );
      });

      it('keeps reservations across close and reopen', async () => {
        await sut.write({
          ticks: [],
          candles: [],
          reservations: [{ symbol: 'AAPL', through: 99 }],
        });
        await sut.close();
        sut = await location.open();
        expect(await sut.reservations()).toEqual(new Map([['AAPL', 99]]));
      });
    });

    describe('writer term fencing', () => {
      /**
       * A batch of `term`: AAPL ticks firstSeq and firstSeq + 1, the candle every term writes
       * (AAPL 1m T0, with c = n = term), a candle of its own and a reservation of 1000 + term.
       */
      const batchOf = (term: number, firstSeq: number): WriteBatch => ({
        ticks: makeTicks('AAPL', 2, { firstSeq }),
        candles: [
          candle('AAPL', '1m', T0, term, term),
          candle('AAPL', '1m', T0 + firstSeq * 60_000),
        ],
        reservations: [{ symbol: 'AAPL', through: 1_000 + term }],
        writerTerm: term,
      });
      const refusal = (batch: WriteBatch) =>
        sut.write(batch).then(
          () => undefined,
          (err: unknown) => err,
        );

      it('writes a batch without a term whatever term is stored, and keeps the term', async () => {
        expect(await sut.writerTerm()).toBe(0);
        await sut.write({ ticks: makeTicks('AAPL', 1), candles: [] });
        expect(await sut.writerTerm()).toBe(0);
        await sut.write(batchOf(5, 11));
        await sut.write({
          ticks: makeTicks('AAPL', 1, { firstSeq: 2 }),
          candles: [candle('AAPL', '1m', T0, 0.5)],
        });
        expect(await sut.writerTerm()).toBe(5);
        expect(seqs(await sut.ticks('AAPL', { order: 'asc', limit: 10 }))).toEqual([1, 2, 11, 12]);
        expect((await sut.candles('AAPL', '1m', { order: 'asc', limit: 1 }))[0].c).toBe(0.5);
      });

      it('writes a term equal to or above the stored one, and refuses a lower one whole', async () => {
        await sut.write(batchOf(5, 1));
        expect(await sut.writerTerm()).toBe(5);
        await sut.write(batchOf(5, 3));
        expect(await sut.writerTerm()).toBe(5);

        const error = await refusal(batchOf(3, 5));
        expect(error).toBeInstanceOf(StoreFencedError);
        expect(error).toMatchObject({ name: 'StoreFencedError', refusedTerm: 3, storedTerm: 5 });
        expect((error as Error).message).toMatch(/\b3\b.*\b5\b/);
        // Nothing of the refused batch: no tick, no candle (new or replaced), no reservation.
        expect(seqs(await sut.ticks('AAPL', { order: 'asc', limit: 10 }))).toEqual([1, 2, 3, 4]);
        expect(await sut.candles('AAPL', '1m', { order: 'asc', limit: 10 })).toEqual(
          [
            candle('AAPL', '1m', T0, 5, 5),
            candle('AAPL', '1m', T0 + 60_000),
            candle('AAPL', '1m', T0 + 180_000),
          ].map(stripped),
        );
        expect(await sut.reservations()).toEqual(new Map([['AAPL', 1_005]]));
        expect(await sut.writerTerm()).toBe(5);

        await sut.write(batchOf(7, 7));
        expect(await sut.writerTerm()).toBe(7);
        expect((await sut.candles('AAPL', '1m', { order: 'asc', limit: 1 }))[0].c).toBe(7);
        await expect(sut.write(batchOf(5, 9))).rejects.toMatchObject({
          name: 'StoreFencedError',
          refusedTerm: 5,
          storedTerm: 7,
        });
        expect(seqs(await sut.ticks('AAPL', { order: 'asc', limit: 10 }))).toEqual([
          1, 2, 3, 4, 7, 8,
        ]);
        expect((await sut.candles('AAPL', '1m', { order: 'asc', limit: 1 }))[0].c).toBe(7);
        expect(await sut.writerTerm()).toBe(7);
      });

      it('claims a term with an empty batch, and keeps it across close and reopen', async () => {
        await sut.write({ ticks: [], candles: [], writerTerm: 9 });
        expect(await sut.writerTerm()).toBe(9);
        expect(await sut.isEmpty()).toBe(true);
        await expect(sut.write({ ticks: [], candles: [], writerTerm: 8 })).rejects.toThrow(
          StoreFencedError,
        );
        await sut.close();
        sut = await location.open();
        expect(await sut.writerTerm()).toBe(9);
        await expect(sut.write(batchOf(8, 1))).rejects.toThrow(StoreFencedError);
        expect(await sut.isEmpty()).toBe(true);
      });

      it("ends with the higher term's candle when two writers race, whatever the order", async () => {
        // Two stores over one location: two connections (pools, writer threads) racing.
        const other = await location.open();
        try {
          for (let round = 0; round < 8; round++) {
            const low = 10 * round + 4;
            const high = 10 * round + 6;
            const [lowStore, highStore] = round % 2 === 0 ? [sut, other] : [other, sut];
            const lowBatch = {
              ...batchOf(low, 100 * round + 1),
              candles: [candle('RACE', '1m', T0, low)],
            };
            const highBatch = {
              ...batchOf(high, 100 * round + 51),
              candles: [candle('RACE', '1m', T0, high)],
            };
            const writes = [() => lowStore.write(lowBatch), () => highStore.write(highBatch)];
            if (round % 4 >= 2) writes.reverse();
            const settled = await Promise.allSettled(writes.map((write) => write()));
            const [lowResult, highResult] = round % 4 >= 2 ? settled.reverse() : settled;

            expect(highResult).toEqual({ status: 'fulfilled', value: undefined });
            expect(await sut.candles('RACE', '1m', { order: 'asc', limit: 10 })).toEqual([
              stripped(candle('RACE', '1m', T0, high)),
            ]);
            expect(await sut.writerTerm()).toBe(high);
            // The lower term either wrote first (and was overwritten) or was refused whole.
            const lowTicks = await sut.ticks('AAPL', {
              afterSeq: 100 * round,
              order: 'asc',
              limit: 10,
            });
            if (lowResult.status === 'rejected') {
              expect(lowResult.reason).toBeInstanceOf(StoreFencedError);
              expect(seqs(lowTicks)).toEqual([100 * round + 51, 100 * round + 52]);
            } else {
              expect(seqs(lowTicks)).toEqual([
                100 * round + 1,
                100 * round + 2,
                100 * round + 51,
                100 * round + 52,
              ]);
            }
          }
        } finally {
          await other.close();
        }
      });
    });

    it('keeps its data across close and reopen', async () => {
      const ticks = [...makeTicks('AAPL', 5), ...makeTicks('ETHUSD', 2, { firstSeq: 7 })];
      const candles = [candle('AAPL', '1m', T0), candle('AAPL', '1d', T0 - 86_400_000)];
      await sut.write({ ticks, candles });
      await sut.close();

      sut = await location.open();

      expect(await sut.isEmpty()).toBe(false);
      expect(await sut.ticks('AAPL', { order: 'asc', limit: 10 })).toEqual(ticks.slice(0, 5));
      expect(await sut.lastTicks()).toEqual(
        new Map([
          ['AAPL', ticks[4]],
          ['ETHUSD', ticks[6]],
        ]),
      );
      expect(await sut.firstSeq('ETHUSD')).toBe(7);
      expect(await sut.candles('AAPL', '1d', { order: 'asc', limit: 10 })).toEqual([
        stripped(candles[1]),
      ]);
    });

    describe('properties', () => {
      // Random tick series: seq rising (with gaps, which no query may assume away), ts not falling.
      const series = fc.array(
        fc.record({
          seqGap: fc.integer({ min: 1, max: 3 }),
          tsGap: fc.integer({ min: 0, max: 3 }),
        }),
        { maxLength: 40 },
      );
      let run = 0;

      async function store(steps: { seqGap: number; tsGap: number }[]): Promise<Tick[]> {
        const symbol = `P${run++}`;
        let seq = 0;
        let ts = T0;
        const ticks = steps.map(({ seqGap, tsGap }, i) => {
          seq += seqGap;
          ts += tsGap;
          return { ...makeTicks(symbol, 1, { firstSeq: seq, startTs: ts })[0], volume: i };
        });
        await sut.write({ ticks, candles: [] });
        return ticks;
      }

      it('paging with afterSeq cursors yields every tick once, in order', async () => {
        await fc.assert(
          fc.asyncProperty(series, fc.integer({ min: 1, max: 7 }), async (steps, pageSize) => {
            const ticks = await store(steps);
            const symbol = `P${run - 1}`;
            const seen: Tick[] = [];
            let afterSeq: number | undefined;
            // Bounded, so that a cursor that does not advance fails instead of spinning.
            for (let pages = 0; pages <= ticks.length; pages++) {
              const page = await sut.ticks(symbol, { afterSeq, limit: pageSize, order: 'asc' });
              seen.push(...page);
              if (page.length < pageSize) break;
              afterSeq = page[page.length - 1].seq;
            }
            expect(seen).toEqual(ticks);
          }),
          { numRuns: 60 },
        );
      });

      it('any tick query answers what a filter over all ticks answers', async () => {
        // Bounds drawn near the series (T0 .. ~T0 + 60, seq 1 .. ~80), so most windows hit it.
        const query = fc
          .record(
            {
              fromTs: fc.integer({ min: T0 - 1, max: T0 + 40 }),
              width: fc.integer({ min: 0, max: 60 }),
              afterSeq: fc.integer({ min: 0, max: 60 }),
              limit: fc.integer({ min: 1, max: 30 }),
              order: fc.constantFrom('asc' as const, 'latest' as const),
            },
            { requiredKeys: ['limit', 'order'] },
          )
          .map(({ width, ...q }): TickQuery => ({
            ...q,
            toTs: width === undefined ? undefined : (q.fromTs ?? T0) + width,
          }));
        await fc.assert(
          fc.asyncProperty(
            series,
            fc.array(query, { minLength: 1, maxLength: 5 }),
            async (steps, queries) => {
              const ticks = await store(steps);
              const symbol = `P${run - 1}`;
              for (const q of queries) {
                const matches = ticks.filter(
                  (t) =>
                    (q.fromTs === undefined || t.ts >= q.fromTs) &&
                    (q.toTs === undefined || t.ts < q.toTs) &&
                    (q.afterSeq === undefined || t.seq > q.afterSeq),
                );
                const expected =
                  q.order === 'asc' ? matches.slice(0, q.limit) : matches.slice(-q.limit);
                expect(await sut.ticks(symbol, q)).toEqual(expected);
              }
            },
          ),
          { numRuns: 60 },
        );
      });
    });
  });
}
