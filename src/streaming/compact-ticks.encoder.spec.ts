import fc from 'fast-check';
import {
  CompactFrameError,
  CompactTickDecoder,
  impliedVolume,
  PRICE_SCALES,
  type Tick,
} from '../contracts';
import {
  compactDelta,
  compactEntry,
  compactHead,
  compactKeyframe,
  compactPrecision,
} from './compact-ticks.encoder';

/** What a JSON subscriber receives for `ticks`: the reference a decoded tick must equal. */
const asJson = (ticks: readonly Tick[]): unknown => JSON.parse(JSON.stringify(ticks));

/** Encodes `ticks` (one symbol) as one frame, split into entries at `cuts`, and decodes it. */
function roundTrip(ticks: Tick[], precision: number, cuts: number[] = []): Tick[] {
  const head = compactHead(ticks[0].symbol);
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < ticks.length).sort((a, b) => a - b)];
  const entries = bounds.map((from, i) =>
    compactEntry(head, ticks, from, bounds[i + 1] ?? ticks.length, ticks[from - 1], precision),
  );
  return new CompactTickDecoder().decode(JSON.parse(`[${entries.join(',')}]`));
}

function keyframes(entry: string): number {
  return (JSON.parse(entry) as unknown[]).filter(Array.isArray).length;
}

interface Step {
  /** Seq step: 1 almost always, a gap now and then. */
  dseq: number;
  dts: number;
  dbid: number;
  spread: number;
  /** last: at the bid, at the ask, or in between. */
  side: 0 | 1 | 2;
  bidSize: number;
  askSize: number;
  size: number;
  /** A new UTC day: the volume starts again from the size. */
  newDay: boolean;
}

const sizeArb = fc.oneof(
  fc.integer({ min: 1, max: 100_000 }).map((n) => n * 100),
  fc.integer({ min: 1, max: 1_000_000 }).map((n) => Number((n * 0.001).toFixed(8))),
  fc.double({ min: 1e-8, max: 1e12, noNaN: true }),
);

const stepArb: fc.Arbitrary<Step> = fc.record({
  dseq: fc.oneof({ weight: 20, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 50 })),
  dts: fc.integer({ min: -5, max: 100_000 }),
  dbid: fc.integer({ min: -1_000, max: 1_000 }),
  spread: fc.integer({ min: 1, max: 50 }),
  side: fc.constantFrom(0 as const, 1 as const, 2 as const),
  bidSize: sizeArb,
  askSize: sizeArb,
  size: sizeArb,
  newDay: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
});

/** Ticks on the price grid of `precision`, as the server's feed makes them. */
function ticksFrom(
  symbol: string,
  precision: number,
  start: { seq: number; ts: number; bidUnits: number; volume: number },
  steps: Step[],
): Tick[] {
  const scale = PRICE_SCALES[precision];
  let { seq, ts, bidUnits, volume } = start;
  return steps.map((s) => {
    seq += s.dseq;
    ts += s.dts;
    bidUnits = Math.max(1, bidUnits + s.dbid);
    const askUnits = bidUnits + s.spread;
    const lastUnits =
      s.side === 0 ? bidUnits : s.side === 1 ? askUnits : bidUnits + (s.spread >> 1);
    volume = s.newDay ? s.size : Number((volume + s.size).toFixed(8));
    return {
      symbol,
      seq,
      ts,
      bid: Number((bidUnits / scale).toFixed(precision)),
      ask: Number((askUnits / scale).toFixed(precision)),
      bidSize: s.bidSize,
      askSize: s.askSize,
      last: Number((lastUnits / scale).toFixed(precision)),
      size: s.size,
      volume,
    };
  });
}

const startArb = fc.record({
  seq: fc.integer({ min: 0, max: 2 ** 40 }),
  ts: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  bidUnits: fc.integer({ min: 1, max: 2 ** 40 }),
  volume: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 2 ** 50 }),
    fc.double({ min: 0, max: 1e15, noNaN: true }),
  ),
});

describe('compact tick encoding', () => {
  it('decodes to the JSON ticks, field for field and in field order, at every precision 0..8', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        startArb,
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(40), { maxLength: 3 }),
        (precision, start, steps, cuts) => {
          const ticks = ticksFrom('SYM', precision, start, steps);
          const decoded = roundTrip(ticks, precision, cuts);
          expect(decoded).toEqual(asJson(ticks));
          expect(JSON.stringify(decoded)).toBe(JSON.stringify(ticks));
          // On the grid, only the first tick, a seq gap and a new day need a keyframe.
          const breaks = steps.slice(1).filter((s) => s.dseq !== 1 || s.newDay).length;
          const whole = compactEntry(
            compactHead('SYM'),
            ticks,
            0,
            ticks.length,
            undefined,
            precision,
          );
          expect(keyframes(whole)).toBeLessThanOrEqual(1 + breaks);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodes any tick exactly, on the grid or not: what a delta cannot carry goes as a keyframe', () => {
    const num = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.constantFrom(0, -0, 0.1, 0.2, 0.3, 1e21, 2 ** 53, -(2 ** 53), 5e-324),
    );
    const tickArb = fc.record({
      seq: fc.integer({ min: 1, max: 1000 }),
      ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), num),
      bid: num,
      ask: num,
      bidSize: num,
      askSize: num,
      last: num,
      size: num,
      volume: num,
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.array(tickArb, { minLength: 1, maxLength: 10 }),
        (precision, raw) => {
          const ticks = raw.map((t) => ({ symbol: 'X', ...t }));
          expect(roundTrip(ticks, precision)).toEqual(asJson(ticks));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('needs one keyframe for a contiguous run on the grid, and one more at each seq gap and each new day', () => {
    const steps = (n: number, patch: Partial<Step> = {}): Step[] =>
      Array.from({ length: n }, (_, i) => ({
        dseq: 1,
        dts: 7,
        dbid: i % 3 === 0 ? -2 : 1,
        spread: 2,
        side: (i % 3) as 0 | 1 | 2,
        bidSize: 300,
        askSize: 500,
        size: 100,
        newDay: false,
        ...patch,
      }));
    const start = { seq: 10, ts: 1_700_000_000_000, bidUnits: 18_950, volume: 1_000_000 };
    const run = ticksFrom('AAPL', 2, start, steps(20));
    const head = compactHead('AAPL');
    expect(keyframes(compactEntry(head, run, 0, run.length, undefined, 2))).toBe(1);
    expect(keyframes(compactEntry(head, run, 1, run.length, run[0], 2))).toBe(0);
    const gapped = ticksFrom('AAPL', 2, start, [
      ...steps(5),
      ...steps(1, { dseq: 3 }),
      ...steps(5),
      ...steps(1, { newDay: true }),
      ...steps(2),
    ]);
    expect(keyframes(compactEntry(head, gapped, 0, gapped.length, undefined, 2))).toBe(3);
    expect(roundTrip(gapped, 2)).toEqual(asJson(gapped));
  });

  it('keeps negative changes, large volumes and fractional sizes exact', () => {
    const prev: Tick = {
      symbol: 'BTCUSD',
      seq: 41,
      ts: 1_700_000_000_000,
      bid: 64_210.5,
      ask: 64_211,
      bidSize: 0.125,
      askSize: 1.5,
      last: 64_211,
      size: 0.3,
      volume: 8_999_999.12345678,
    };
    const t: Tick = {
      ...prev,
      seq: 42,
      ts: prev.ts + 3,
      bid: 64_190.25,
      ask: 64_190.75,
      last: 64_190.25,
      size: 0.1,
      volume: Number((prev.volume + 0.1).toFixed(8)),
    };
    expect(compactDelta(prev, t, PRICE_SCALES[2])).toBe('3,-2025,0,0,0.125,1.5,0.1');
    const decoder = new CompactTickDecoder();
    const frame = JSON.parse(
      `[${compactEntry(compactHead('BTCUSD'), [prev, t], 0, 2, undefined, 2)}]`,
    );
    expect(decoder.decode(frame)).toEqual([prev, t]);
    expect(t.volume).toBe(impliedVolume(prev.volume, t.size));
  });

  it('caps the precision at 8 and reads anything else as 8', () => {
    expect([0, 2, 8, 9, -1, 1.5, NaN].map(compactPrecision)).toEqual([0, 2, 8, 8, 8, 8, 8]);
  });

  it('writes keyframes as the documented array, precision last', () => {
    const t: Tick = {
      symbol: 'AAPL',
      seq: 1,
      ts: 2,
      bid: 189.5,
      ask: 189.52,
      bidSize: 300,
      askSize: 500,
      last: 189.52,
      size: 100,
      volume: 1200,
    };
    expect(compactKeyframe(t, 2)).toBe('[1,2,189.5,189.52,300,500,189.52,100,1200,2]');
    expect(compactEntry(compactHead('AAPL'), [t], 0, 1, undefined, 2)).toBe(
      '["AAPL",[1,2,189.5,189.52,300,500,189.52,100,1200,2]]',
    );
  });

  describe('CompactTickDecoder', () => {
    it.each<[string, unknown]>([
      ['not an array', { AAPL: 1 }],
      ['an entry without its symbol', [[1, 2, 3]]],
      ['a delta before any keyframe', [['AAPL', 1, 2, 3, 4, 5, 6, 7]]],
      ['a short delta', [['AAPL', [1, 2, 1, 1, 1, 1, 1, 1, 1, 2], 1, 2, 3]]],
      ['a keyframe of the wrong length', [['AAPL', [1, 2, 3]]]],
      ['a precision out of range', [['AAPL', [1, 2, 1, 1, 1, 1, 1, 1, 1, 9]]]],
      [
        'a delta that is not numbers',
        [['AAPL', [1, 2, 1, 1, 1, 1, 1, 1, 1, 2], 1, '2', 3, 4, 5, 6, 7]],
      ],
    ])('refuses %s with a CompactFrameError', (_, frame) => {
      expect(() => new CompactTickDecoder().decode(frame)).toThrow(CompactFrameError);
    });

    it('forgets a symbol: its next item must be a keyframe again', () => {
      const sut = new CompactTickDecoder();
      sut.decode([['A', [1, 2, 1, 1, 1, 1, 1, 1, 1, 0]]]);
      expect(sut.decode([['A', 1, 0, 0, 0, 1, 1, 1]])).toEqual([
        {
          symbol: 'A',
          seq: 2,
          ts: 3,
          bid: 1,
          ask: 1,
          bidSize: 1,
          askSize: 1,
          last: 1,
          size: 1,
          volume: 2,
        },
      ]);
      sut.forget('A');
      expect(() => sut.decode([['A', 1, 0, 0, 0, 1, 1, 1]])).toThrow(CompactFrameError);
    });
  });
});
