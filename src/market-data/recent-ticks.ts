// The last ticks of each symbol in memory: resume and REST read here what the store may not have yet.
import type { Tick } from '../contracts';

class Ring {
  private readonly items: Array<Tick | undefined>;
  private head = 0; // index of the next write
  size = 0;

  constructor(private readonly capacity: number) {
    this.items = new Array<Tick | undefined>(capacity);
  }

  push(tick: Tick): void {
    this.items[this.head] = tick;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** i-th oldest held tick. */
  at(i: number): Tick {
    return this.items[(this.head - this.size + i + this.capacity) % this.capacity]!;
  }
}

export class RecentTicks {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly capacity = 2048) {}

  push(tick: Tick): void {
    let ring = this.rings.get(tick.symbol);
    if (!ring) this.rings.set(tick.symbol, (ring = new Ring(this.capacity)));
    ring.push(tick);
  }

  /** Forgets a symbol's ticks: the next one it holds starts a new contiguous run (after a gap). */
  clear(symbol: string): void {
    this.rings.delete(symbol);
  }

  /** Lowest seq held for a symbol, or undefined. */
  firstSeq(symbol: string): number | undefined {
    const ring = this.rings.get(symbol);
    return ring && ring.size ? ring.at(0).seq : undefined;
  }

  lastSeq(symbol: string): number | undefined {
    const ring = this.rings.get(symbol);
    return ring && ring.size ? ring.at(ring.size - 1).seq : undefined;
  }

  /** Held ticks with seq > afterSeq, ascending. */
  after(symbol: string, afterSeq: number): Tick[] {
    const ring = this.rings.get(symbol);
    if (!ring || !ring.size) return [];
    const first = ring.at(0).seq;
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
      const t = ring.at(i);
      if (t.ts >= fromTs && t.ts < toTs) out.push(t);
    }
    return out;
  }
}
