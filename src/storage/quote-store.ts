// The seam for stored market data: SQLite embedded by default, PostgreSQL for shared deployments.
import type { Candle, Interval, Tick } from '../contracts';

export interface CandleRow extends Candle {
  symbol: string;
  interval: Interval;
}

/** The identity of a stored candle, (symbol, interval, t), as one string for Map keys. */
export function candleRowKey(row: Pick<CandleRow, 'symbol' | 'interval' | 't'>): string {
  return `${row.symbol}|${row.interval}|${row.t}`;
}

/**
 * A symbol's seq reservation: every seq up to `through` may already have been shown to a client,
 * so none of them may be issued again, even after a crash that lost the ticks themselves.
 */
export interface SeqReservation {
  symbol: string;
  through: number;
}

/** One unit of work for the store, written in a single transaction. */
export interface WriteBatch {
  /** A tick whose (symbol, seq) is already stored is skipped, so a retried batch is harmless. */
  ticks: readonly Tick[];
  /** Inserted, or replacing the stored candle of the same (symbol, interval, t). */
  candles: readonly CandleRow[];
  /** Raises each symbol's reservation to at least `through` (never lowers it); one per symbol. */
  reservations?: readonly SeqReservation[];
  /**
   * The writer's term (its lease's term, which only grows). When set, the batch is written only
   * if no batch with a higher term has been written; otherwise the whole batch is refused with
   * StoreFencedError and nothing of it is stored. The stored term is raised to it, in the same
   * transaction as the rows, so a former writer that wakes up after a pause cannot overwrite
   * what a newer one wrote. A batch with a term and no rows still claims the term. A batch
   * without a term is always written and leaves the stored term alone.
   */
  writerTerm?: number;
}

export interface TickQuery {
  /** ts >= fromTs */
  fromTs?: number;
  /** ts < toTs */
  toTs?: number;
  /** seq > afterSeq */
  afterSeq?: number;
  limit: number;
  /** 'asc': the first `limit` matches; 'latest': the last `limit` matches. Results are always ascending by seq. */
  order: 'asc' | 'latest';
}

export interface CandleQuery {
  /** t >= from */
  from?: number;
  /** t < to */
  to?: number;
  limit: number;
  /** 'asc': the first `limit` matches; 'latest': the last `limit` matches. Results are always ascending by t. */
  order: 'asc' | 'latest';
}

export interface PruneCutoffs {
  /** Delete ticks with ts < this. */
  ticksBefore: number;
  /** Delete candles of an interval with t < the cutoff; intervals not listed are kept forever. */
  candlesBefore: Partial<Record<Interval, number>>;
}

/** A store that cannot be opened or read (corrupt file, unreachable server, bad schema). */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** A batch refused because a writer with a higher term has written to the store (WriteBatch.writerTerm). */
export class StoreFencedError extends Error {
  constructor(
    /** The term of the refused batch. */
    readonly refusedTerm: number,
    /** The highest term the store has seen. */
    readonly storedTerm: number,
  ) {
    super(
      `Store write of writer term ${refusedTerm} refused: the store has been written with term ${storedTerm}`,
    );
    this.name = 'StoreFencedError';
  }
}

export abstract class QuoteStore {
  /** 'sqlite' or 'postgres', for logs and health. */
  abstract readonly kind: string;
  /** Opens the store and creates or migrates its schema. Throws StoreError with a one-line reason. */
  abstract init(): Promise<void>;
  abstract close(): Promise<void>;
  /** One transaction; a batch with a stale writerTerm throws StoreFencedError and stores nothing. */
  abstract write(batch: WriteBatch): Promise<void>;
  /** The highest writer term written (WriteBatch.writerTerm), 0 when none was. */
  abstract writerTerm(): Promise<number>;
  /**
   * First-start history into a store that holds none of these candles, by the engine's fastest
   * path (COPY on PostgreSQL). A row that is already stored may fail the load: write() is the
   * path that replaces. Rows in key order (symbol, interval, t) load fastest.
   */
  /** How many loadHistory() calls a backfill keeps in flight: more only queue up behind these. */
  readonly historyLoadsInFlight: number = 2;
  loadHistory(rows: readonly CandleRow[]): Promise<void> {
    return this.write({ ticks: [], candles: rows as CandleRow[] });
  }
  /** The last stored tick of every symbol that has one. */
  abstract lastTicks(): Promise<Map<string, Tick>>;
  /** Lowest seq still stored for a symbol (ticks below it were pruned), or undefined with none. */
  abstract firstSeq(symbol: string): Promise<number | undefined>;
  abstract ticks(symbol: string, query: TickQuery): Promise<Tick[]>;
  abstract candles(symbol: string, interval: Interval, query: CandleQuery): Promise<Candle[]>;
  /** Latest stored candle of a symbol and interval with t < before (for the previous day's close). */
  abstract lastCandleBefore(
    symbol: string,
    interval: Interval,
    before: number,
  ): Promise<Candle | undefined>;
  abstract prune(cutoffs: PruneCutoffs): Promise<{ ticks: number; candles: number }>;
  /** Each symbol's seq reservation ("reserved through"), for the symbols that have one. */
  abstract reservations(): Promise<Map<string, number>>;
  /**
   * Sets each symbol's reservation to exactly `through`, lower or not: on a clean shutdown, down
   * to the last seq issued, so that the next run continues without a gap.
   */
  abstract releaseReservations(reservations: readonly SeqReservation[]): Promise<void>;
  /** True when the store holds no candles and no ticks at all (first start). */
  abstract isEmpty(): Promise<boolean>;
  /**
   * Runs `read` against one consistent snapshot of the store: no batch is seen half written, and
   * none that commits while it runs. PostgreSQL runs it in a REPEATABLE READ transaction (another
   * node may be writing); the embedded store has no other writer at the moments it is used.
   */
  readConsistent<T>(read: (store: QuoteStore) => Promise<T>): Promise<T> {
    return read(this);
  }
}
