// Which seqs each symbol may issue: a block reserved in the store ahead of the feed, so that no
// seq a client may have seen is issued again after a crash. Pure bookkeeping; ingest does the I/O.
import type { Tick } from '../contracts';
import type { SeqReservation } from '../storage/quote-store';
import type { FeedSeqLimits } from './price-feed';

/** Fewest seqs one reservation covers, whatever the symbol's rate. */
export const MIN_RESERVED_SEQS = 1_000;
/** Seconds of a symbol's ticks one reservation covers, when that is more than the minimum. */
export const RESERVED_SECONDS = 60;

/** Seqs to reserve at a time for a symbol ticking `ticksPerSecond`. */
export function reservationBlock(ticksPerSecond: number): number {
  const seqs = Math.ceil(ticksPerSecond * RESERVED_SECONDS);
  return Number.isFinite(seqs) ? Math.max(MIN_RESERVED_SEQS, seqs) : MIN_RESERVED_SEQS;
}

interface SymbolSeqs {
  block: number;
  /** The seq the feed continues after at start: a crashed run's reservation may lie above the stored ticks. */
  startAfter: number;
  /** Highest seq confirmed reserved in the store: the feed may issue up to here. */
  allowed: number;
}

export class SeqReservations {
  private readonly symbols = new Map<string, SymbolSeqs>();

  /** `blocks`: per symbol, how many seqs one reservation covers (see reservationBlock). */
  constructor(blocks: ReadonlyMap<string, number>) {
    for (const [symbol, block] of blocks) {
      this.symbols.set(symbol, { block, startAfter: 0, allowed: 0 });
    }
  }

  /**
   * From the store at start: each symbol continues after max(last stored seq, reserved through),
   * and may issue nothing more until a new reservation is written.
   */
  start(last: ReadonlyMap<string, Tick>, reserved: ReadonlyMap<string, number>): FeedSeqLimits {
    const after = new Map<string, number>();
    for (const [symbol, s] of this.symbols) {
      s.startAfter = Math.max(last.get(symbol)?.seq ?? 0, reserved.get(symbol) ?? 0);
      s.allowed = s.startAfter;
      after.set(symbol, s.startAfter);
    }
    return { after, allowed: new Map(after) };
  }

  /** The seq a symbol continues after at start. */
  startAfter(symbol: string): number {
    return this.symbols.get(symbol)?.startAfter ?? 0;
  }

  /**
   * Reservations to write now: for each symbol with less than half a block left, through its next
   * seq plus a block. `lastIssued` is the last seq the feed emitted (undefined before the first).
   */
  due(lastIssued: (symbol: string) => number | undefined): SeqReservation[] {
    const out: SeqReservation[] = [];
    for (const [symbol, s] of this.symbols) {
      const issued = Math.max(s.startAfter, lastIssued(symbol) ?? 0);
      if (s.allowed - issued < s.block / 2) out.push({ symbol, through: issued + 1 + s.block });
    }
    return out;
  }

  /** Written: the feed may now issue up to these seqs. Returns the ones that raised a limit. */
  confirm(written: readonly SeqReservation[]): SeqReservation[] {
    const raised: SeqReservation[] = [];
    for (const r of written) {
      const s = this.symbols.get(r.symbol);
      if (s && r.through > s.allowed) {
        s.allowed = r.through;
        raised.push(r);
      }
    }
    return raised;
  }

  /** Symbols that issued every seq they may: paused until a reservation is written. */
  paused(lastIssued: (symbol: string) => number | undefined): string[] {
    const out: string[] = [];
    for (const [symbol, s] of this.symbols) {
      if (Math.max(s.startAfter, lastIssued(symbol) ?? 0) >= s.allowed) out.push(symbol);
    }
    return out;
  }

  /** On a clean stop: each symbol's reservation down to the last seq it issued (or started after). */
  release(lastIssued: (symbol: string) => number | undefined): SeqReservation[] {
    return [...this.symbols].map(([symbol, s]) => ({
      symbol,
      through: Math.max(s.startAfter, lastIssued(symbol) ?? 0),
    }));
  }
}
