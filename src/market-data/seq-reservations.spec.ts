import type { Tick } from '../contracts';
import { MIN_RESERVED_SEQS, SeqReservations, reservationBlock } from './seq-reservations';

const tick = (symbol: string, seq: number) => ({ symbol, seq }) as Tick;

describe('reservationBlock', () => {
  it("covers a minute of the symbol's ticks, never fewer than the minimum", () => {
    expect(reservationBlock(1)).toBe(MIN_RESERVED_SEQS);
    expect(reservationBlock(100)).toBe(6_000);
    expect(reservationBlock(33.34)).toBe(2_001);
    expect(reservationBlock(Number.NaN)).toBe(MIN_RESERVED_SEQS);
  });
});

describe('SeqReservations', () => {
  const blocks = new Map([
    ['AAPL', 1_000],
    ['BTCUSD', 4_000],
  ]);

  it('starts each symbol after max(last stored seq, reserved through), allowed nothing more', () => {
    const sut = new SeqReservations(blocks);
    const limits = sut.start(new Map([['AAPL', tick('AAPL', 500)]]), new Map([['BTCUSD', 90]]));
    expect(limits.after).toEqual(
      new Map([
        ['AAPL', 500],
        ['BTCUSD', 90],
      ]),
    );
    expect(limits.allowed).toEqual(limits.after);
    const limits2 = new SeqReservations(blocks).start(
      new Map([['AAPL', tick('AAPL', 500)]]),
      new Map([['AAPL', 1_400]]),
    );
    expect(limits2.after!.get('AAPL')).toBe(1_400);
    expect(limits2.after!.get('BTCUSD')).toBe(0);
  });

  it('reserves a block past the next seq when less than half a block is left', () => {
    const sut = new SeqReservations(blocks);
    sut.start(new Map(), new Map([['AAPL', 10]]));
    const issued = new Map<string, number>();
    const last = (s: string) => issued.get(s);
    expect(sut.due(last)).toEqual([
      { symbol: 'AAPL', through: 1_011 },
      { symbol: 'BTCUSD', through: 4_001 },
    ]);
    expect(sut.paused(last)).toEqual(['AAPL', 'BTCUSD']);
    expect(sut.confirm(sut.due(last))).toHaveLength(2);
    expect(sut.due(last)).toEqual([]);
    expect(sut.paused(last)).toEqual([]);

    issued.set('AAPL', 510); // 501 left of 1,000: enough
    expect(sut.due(last)).toEqual([]);
    issued.set('AAPL', 512); // 499 left
    expect(sut.due(last)).toEqual([{ symbol: 'AAPL', through: 1_513 }]);
    // A confirmation never lowers what is allowed.
    expect(sut.confirm([{ symbol: 'AAPL', through: 900 }])).toEqual([]);
    expect(sut.due(last)).toEqual([{ symbol: 'AAPL', through: 1_513 }]);
  });

  it('releases down to the last seq issued, or to where the symbol started', () => {
    const sut = new SeqReservations(blocks);
    sut.start(new Map([['AAPL', tick('AAPL', 40)]]), new Map([['AAPL', 900]]));
    sut.confirm(sut.due(() => undefined));
    expect(sut.release((s) => (s === 'BTCUSD' ? 12 : undefined))).toEqual([
      { symbol: 'AAPL', through: 900 },
      { symbol: 'BTCUSD', through: 12 },
    ]);
  });
});
