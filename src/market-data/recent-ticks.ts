// The last ticks of each symbol in memory: resume and REST read here what the store may not have yet.
// Bounded by configuration, not uptime: capacity ticks per symbol, 72 bytes each.
import type { Tick } from '../contracts';

/** A tick's numeric fields in the ring, in the order a Tick declares them. */
const STRIDE = 9;

/**
 * One symbol's last ticks as numbers in one typed array, not as Tick objects. A ring of objects
 * that each live about ten minutes is the worst case for a generational GC: every tick survives
 * its young generation, is copied into the old one and dies there, so a server that has run long
 * enough to fill the rings pays for major collections of a heap full of them (the aged server's
 * stalls). The numbers here are no work for the GC at all; ticks are rebuilt on read, which only
 * resumes and REST reads do.
 */
class Ring {
  private readonly cells: Float64Array;
  private head = 0; // slot of the next write
  size = 0;

  constructor(
    readonly symbol: string,
    private readonly capacity: number,
  ) {
    this.cells = new Float64Array(capacity * STRIDE);
  }

  push(tick: Tick): void {
    const c = this.cells;
    const o = this.head * STRIDE;
    c[o] = tick.seq;
    c[o + 1] = tick.ts;
    c[o + 2] = tick.bid;
    c[o + 3] = tick.ask;
    c[o + 4] = tick.bidSize;
    c[o + 5] = tick.askSize;
    c[o + 6] = tick.last;
    c[o + 7] = tick.size;
    c[o + 8] = tick.volume;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    if (this.size < this.capacity) this.size++;
  }

  private slot(i: number): number {
    return ((this.head - this.size + i + this.capacity) % this.capacity) * STRIDE;
  }

  seqAt(i: number): number {
    return this.cells[this.slot(i)];
  }

  tsAt(i: number): number {
    return this.cells[this.slot(i) + 1];
  }

  /** The i-th oldest held tick, as a new object with a Tick's fields in their declared order. */
  at(i: number): Tick {
    const c = this.cells;
    const o = this.slot(i);
    return {
      symbol: this.symbol,
      seq: c[o],
      ts: c[o + 1],
      bid: c[o + 2],
      ask: c[o + 3],
      bidSize: c[o + 4],
      askSize: c[o + 5],
      last: c[o + 6],
      size: c[o + 7],
      volume: c[o + 8],
    };
  }
}

export class RecentTicks {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly capacity = 2048) {}

  push(tick: Tick): void {
    let ring = this.rings.get(tick.symbol);
    if (!ring) this.rings.set(tick.symbol, (ring = new Ring(tick.symbol, this.capacity)));
    ring.push(tick);
  }

  /** Forgets a symbol's ticks: the next one it holds starts a new contiguous run (after a gap). */
  clear(symbol: string): void {
    this.rings.delete(symbol);
  }

  /** Lowest seq held for a symbol, or undefined. */
  firstSeq(symbol: string): number | undefined {
    const ring = this.rings.get(symbol);
    return ring && ring.size ? ring.seqAt(0) : undefined;
  }

  lastSeq(symbol: string): number | undefined {
    const ring = this.rings.get(symbol);
    return ring && ring.size ? ring.seqAt(ring.size - 1) : undefined;
  }

  /** Held ticks with seq > afterSeq, ascending. */
  after(symbol: string, afterSeq: number): Tick[] {
    const ring = this.rings.get(symbol);
    if (!ring || !ring.size) return [];
    const first = ring.seqAt(0);
    // seq is contiguous within the ring, so the start index is arithmetic.
    const start = Math.max(0, afterSeq + 1 - first);
    const out: Tick[] = [];
    for (let i = start; i < ring.size; i++) out.push(ring.at(i));
    return out;
  }

  /** Held ticks of a symbol matching a time range, ascending. */
  inRange(symbol: string, fromTs = -Infinity, toTs = Infinity): Tick[] {
    const ring = this.rings.get(symbol);
    if (!ring) return [];
    const out: Tick[] = [];
    for (let i = 0; i < ring.size; i++) {
      const ts = ring.tsAt(i);
      if (ts >= fromTs && ts < toTs) out.push(ring.at(i));
    }
    return out;
  }
}
