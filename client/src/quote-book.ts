// Quotes as shown: the latest tick per symbol with its UTC-day figures (rolled over at midnight as
// the server's SnapshotBook does), seq checks across reconnects, and the session sparklines.
import {
  utcDay,
  type Candle,
  type Snapshot,
  type StreamMode,
  type Tick,
} from '../../src/contracts';
import type { ChangeTracker } from './changes';
import { SessionSeries, type SessionLine } from './spark';

/** One instrument's latest quote and day statistics, as shown. */
export interface Quote extends Tick {
  open: number;
  high: number;
  low: number;
  prevClose: number;
  /** Start of the UTC day the statistics belong to. */
  day: number;
  /** Direction of the last change of `last`: 1 up, -1 down, 0 none yet. */
  direction: 1 | -1 | 0;
  /** Client clock (ms) when the last update arrived. */
  receivedAt: number;
  /** Connection the data came from; data from an older one yields to the next snapshot. */
  epoch: number;
  /** True when `ts` is a live tick (tick-to-screen latency is meaningful), false for snapshots. */
  streamed: boolean;
  /** Smoothed gap between updates (ms), to tell liquid symbols from quiet ones. */
  meanGapMs: number;
  updates: number;
}

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
    const day = utcDay(s.ts);
    const replace = !q || s.seq >= q.seq || (fromStream && q.epoch < this.epochNo);
    if (!replace) {
      // The stream is ahead; REST still knows extremes a conflated stream may have skipped.
      if (q.day === day) {
        const high = Math.max(q.high, s.high);
        const low = Math.min(q.low, s.low);
        const touched = high !== q.high || low !== q.low;
        q.high = high;
        q.low = low;
        if (touched) this.touch(s.symbol);
      }
      return;
    }
    const next: Quote = {
      symbol: s.symbol,
      seq: s.seq,
      ts: s.ts,
      bid: s.bid,
      ask: s.ask,
      last: s.last,
      size: s.size,
      volume: s.volume,
      bidSize: s.bidSize,
      askSize: s.askSize,
      open: s.open,
      high: q && q.day === day ? Math.max(q.high, s.high) : s.high,
      low: q && q.day === day ? Math.min(q.low, s.low) : s.low,
      prevClose: s.prevClose,
      day,
      direction: q ? (s.last > q.last ? 1 : s.last < q.last ? -1 : q.direction) : 0,
      receivedAt,
      epoch: fromStream ? this.epochNo : (q?.epoch ?? this.epochNo),
      streamed: false,
      meanGapMs: q?.meanGapMs ?? NaN,
      updates: q?.updates ?? 0,
    };
    this.bySymbol.set(s.symbol, next);
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
        this.bySymbol.set(t.symbol, this.fromTick(t, receivedAt));
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
      const day = utcDay(t.ts);
      if (day > q.day) {
        q.prevClose = q.last;
        q.open = q.high = q.low = t.last;
        q.day = day;
      } else {
        if (t.last > q.high) q.high = t.last;
        if (t.last < q.low) q.low = t.last;
      }
      if (t.last !== q.last) q.direction = t.last > q.last ? 1 : -1;
      const gap = receivedAt - q.receivedAt;
      q.meanGapMs = Number.isNaN(q.meanGapMs) ? gap : q.meanGapMs * 0.8 + gap * 0.2;
      q.updates++;
      q.seq = t.seq;
      q.ts = t.ts;
      q.bid = t.bid;
      q.ask = t.ask;
      q.last = t.last;
      q.size = t.size;
      q.volume = t.volume;
      q.bidSize = t.bidSize;
      q.askSize = t.askSize;
      q.receivedAt = receivedAt;
      q.epoch = this.epochNo;
      q.streamed = true;
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

  private fromTick(t: Tick, receivedAt: number): Quote {
    this.sparkOf(t.symbol).addPrice(t.ts, t.last);
    this.opts.changes.spark(t.symbol);
    this.opts.changes.symbol(t.symbol);
    return {
      ...t,
      open: NaN,
      high: t.last,
      low: t.last,
      prevClose: NaN,
      day: utcDay(t.ts),
      direction: 0,
      receivedAt,
      epoch: this.epochNo,
      streamed: true,
      meanGapMs: NaN,
      updates: 1,
    };
  }

  private touch(symbol: string): void {
    this.opts.changes.symbol(symbol);
    this.opts.changes.notify();
  }
}
