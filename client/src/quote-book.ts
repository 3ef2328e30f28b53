// Quotes as shown, per watched symbol: seq checks across reconnects, gap and duplicate counts, and
// the session sparklines. The per-quote maths (day rollover included) is in quote.ts.
import type { Candle, Snapshot, StreamMode, Tick } from '../../src/contracts';
import type { ChangeTracker } from './changes';
import { applyTick, mergeExtremes, quoteFromSnapshot, quoteFromTick, type Quote } from './quote';
import { SessionSeries, type SessionLine } from './spark';

export interface QuoteStats {
  ticks: number;
  duplicates: number;
  /** Ticks missing between two received ones, counted only for the full (unconflated) stream. */
  gaps: number;
  snapshots: number;
}

export interface QuoteBookOptions {
  /** Only watched symbols are kept. */
  watched(symbol: string): boolean;
  changes: ChangeTracker;
  now: () => number;
  /** A live tick moved `symbol`'s quote. */
  heard?(symbol: string): void;
}

export class QuoteBook {
  private readonly bySymbol = new Map<string, Quote>();
  private readonly series = new Map<string, SessionSeries>();
  /** Symbols streamed in full, where a jump in seq is a real gap (conflation skips on purpose). */
  private readonly contiguous = new Set<string>();
  private readonly counts: QuoteStats = { ticks: 0, duplicates: 0, gaps: 0, snapshots: 0 };
  private epochNo = 0;

  constructor(private readonly opts: QuoteBookOptions) {}

  get quotes(): ReadonlyMap<string, Readonly<Quote>> {
    return this.bySymbol;
  }

  get sparks(): ReadonlyMap<string, SessionLine> {
    return this.series;
  }

  get stats(): Readonly<QuoteStats> {
    return this.counts;
  }

  get epoch(): number {
    return this.epochNo;
  }

  /** A new connection: its snapshots are the truth even where their seq is lower. */
  newConnection(): void {
    this.epochNo++;
  }

  /** Highest seq held per symbol, for resuming the stream after a reconnect. */
  resumePoints(symbols: Iterable<string>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of symbols) {
      const q = this.bySymbol.get(s);
      if (q) out[s] = q.seq;
    }
    return out;
  }

  /** Drops everything held for a symbol that left the watchlist. */
  forget(symbol: string): void {
    this.bySymbol.delete(symbol);
    this.series.delete(symbol);
    this.contiguous.delete(symbol);
  }

  /** Which symbols stream every tick (gap-checked) and which are conflated. */
  setStreamMode(symbols: readonly string[], mode: StreamMode): void {
    for (const s of symbols) {
      if (mode === 'full') this.contiguous.add(s);
      else this.contiguous.delete(s);
    }
  }

  /**
   * A snapshot from the subscribe acknowledgement (`fromStream`) or from REST. On a new
   * connection the stream's snapshot is the truth even if its seq is lower (the server may have
   * restarted); otherwise the newer seq wins, and day high/low merge either way.
   */
  applySnapshot(s: Snapshot, fromStream: boolean): void {
    if (!this.opts.watched(s.symbol)) return;
    this.counts.snapshots++;
    const q = this.bySymbol.get(s.symbol);
    const receivedAt = this.opts.now();
    const replace = !q || s.seq >= q.seq || (fromStream && q.epoch < this.epochNo);
    if (!replace) {
      // The stream is ahead; REST still knows extremes a conflated stream may have skipped.
      if (mergeExtremes(q, s)) this.touch(s.symbol);
      return;
    }
    const epoch = fromStream ? this.epochNo : (q?.epoch ?? this.epochNo);
    this.bySymbol.set(s.symbol, quoteFromSnapshot(s, q, receivedAt, epoch));
    this.sparkOf(s.symbol).addPrice(s.ts, s.last);
    this.opts.changes.spark(s.symbol);
    this.touch(s.symbol);
  }

  /** A batch from the stream (may mix symbols). Old or duplicate seqs are dropped. */
  applyTicks(ticks: readonly Tick[]): void {
    const { changes, watched, heard } = this.opts;
    const receivedAt = this.opts.now();
    let any = false;
    for (const t of ticks) {
      const q = this.bySymbol.get(t.symbol);
      if (!q) {
        // A tick before its snapshot: keep it; the snapshot fills in the day figures.
        if (!watched(t.symbol)) continue;
        this.bySymbol.set(t.symbol, quoteFromTick(t, receivedAt, this.epochNo));
        this.sparkOf(t.symbol).addPrice(t.ts, t.last);
        changes.spark(t.symbol);
        changes.symbol(t.symbol);
        this.counts.ticks++;
        any = true;
        continue;
      }
      const sameConnection = q.epoch === this.epochNo;
      if (t.seq <= q.seq && sameConnection) {
        this.counts.duplicates++;
        continue;
      }
      if (t.seq <= q.seq) {
        // First data on a new connection with a lower seq: the server's history was reset.
        q.epoch = this.epochNo;
      } else if (t.seq > q.seq + 1 && this.contiguous.has(t.symbol)) {
        this.counts.gaps += t.seq - q.seq - 1;
      }
      this.counts.ticks++;
      applyTick(q, t, receivedAt, this.epochNo);
      if (this.sparkOf(t.symbol).addPrice(t.ts, t.last)) changes.spark(t.symbol);
      changes.symbol(t.symbol);
      heard?.(t.symbol);
      any = true;
    }
    if (any) changes.notify();
  }

  /** Merges today's stored candles into a symbol's sparkline (live points already held win). */
  addSparkHistory(symbol: string, candles: readonly Candle[]): void {
    if (!this.opts.watched(symbol)) return;
    this.sparkOf(symbol).addCandles(candles);
    this.opts.changes.spark(symbol);
    this.opts.changes.notify();
  }

  private sparkOf(symbol: string): SessionSeries {
    let s = this.series.get(symbol);
    if (!s) {
      s = new SessionSeries();
      this.series.set(symbol, s);
    }
    return s;
  }

  private touch(symbol: string): void {
    this.opts.changes.symbol(symbol);
    this.opts.changes.notify();
  }
}
