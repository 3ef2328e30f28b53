// Per-IP socket limits: handshakes per window and open connections, over counters that live in
// this process or in Redis (shared by every node). Checked once per handshake, never per tick.
import { LimitExceededError } from '../common/errors';

/** The window WS_HANDSHAKES_PER_IP counts over. */
export const HANDSHAKE_WINDOW_MS = 5 * 60_000;

export interface ConnectionCounters {
  /** Counts a handshake from `ip`; resolves to the handshakes in its current window, this one included. */
  handshake(ip: string): Promise<number>;
  /**
   * Counts an open connection from `ip`; resolves to the open connections, this one included, or
   * undefined when it could not be counted (the limit then lets it through).
   */
  open(ip: string): Promise<number | undefined>;
  /** Releases one connection counted by `open`. */
  close(ip: string): void;
}

export interface ConnectionLimitOptions {
  /** 0: off. */
  connectionsPerIp: number;
  /** Per HANDSHAKE_WINDOW_MS; 0: off. */
  handshakesPerIp: number;
}

const NOTHING_TO_RELEASE = (): void => undefined;

export class ConnectionLimits {
  constructor(
    private readonly counters: ConnectionCounters,
    private readonly options: ConnectionLimitOptions,
  ) {}

  /** Spends one handshake of `ip`'s window; throws LimitExceededError past WS_HANDSHAKES_PER_IP. */
  async handshake(ip: string): Promise<void> {
    const limit = this.options.handshakesPerIp;
    if (limit <= 0) return;
    if ((await this.counters.handshake(ip)) > limit)
      throw new LimitExceededError(
        `Too many connection attempts from your address: WS_HANDSHAKES_PER_IP is ${limit} per 5 minutes`,
        { limit: 'WS_HANDSHAKES_PER_IP', max: limit, windowMs: HANDSHAKE_WINDOW_MS },
      );
  }

  /**
   * Takes one of `ip`'s connection slots; throws LimitExceededError past WS_CONNECTIONS_PER_IP.
   * The returned function gives the slot back, however often it is called (once counts).
   */
  async open(ip: string): Promise<() => void> {
    const limit = this.options.connectionsPerIp;
    if (limit <= 0) return NOTHING_TO_RELEASE;
    const open = await this.counters.open(ip);
    if (open === undefined) return NOTHING_TO_RELEASE;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.counters.close(ip);
    };
    if (open > limit) {
      release();
      throw new LimitExceededError(
        `Too many open connections from your address: WS_CONNECTIONS_PER_IP is ${limit}`,
        { limit: 'WS_CONNECTIONS_PER_IP', max: limit },
      );
    }
    return release;
  }
}

interface IpCounts {
  windowStart: number;
  handshakes: number;
  open: number;
}

/**
 * Counters for one node. Bounded: an IP with no open connection is forgotten once its window has
 * passed (swept at most once a window), and past `maxIps` the idle ones go first.
 */
export class MemoryConnectionCounters implements ConnectionCounters {
  private readonly byIp = new Map<string, IpCounts>();
  private lastSweep: number;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxIps = 100_000,
    private readonly windowMs = HANDSHAKE_WINDOW_MS,
  ) {
    this.lastSweep = now();
  }

  /** IPs held; for tests and metrics. */
  get size(): number {
    return this.byIp.size;
  }

  handshake(ip: string): Promise<number> {
    const now = this.now();
    if (now - this.lastSweep >= this.windowMs) this.sweep(now, Infinity);
    const counts = this.entry(ip, now);
    if (now - counts.windowStart >= this.windowMs) {
      counts.windowStart = now;
      counts.handshakes = 0;
    }
    return Promise.resolve(++counts.handshakes);
  }

  open(ip: string): Promise<number> {
    return Promise.resolve(++this.entry(ip, this.now()).open);
  }

  close(ip: string): void {
    const counts = this.byIp.get(ip);
    if (!counts) return;
    counts.open = Math.max(0, counts.open - 1);
    if (counts.open === 0 && this.now() - counts.windowStart >= this.windowMs) this.byIp.delete(ip);
  }

  private entry(ip: string, now: number): IpCounts {
    let counts = this.byIp.get(ip);
    if (!counts) {
      if (this.byIp.size >= this.maxIps) this.sweep(now, Math.floor(this.maxIps * 0.9));
      counts = { windowStart: now, handshakes: 0, open: 0 };
      this.byIp.set(ip, counts);
    }
    return counts;
  }

  /**
   * Forgets IPs whose window has passed and that hold no connection; then, while more than
   * `keep` remain, the oldest idle ones (their handshake count restarts: a bounded map beats an
   * exact count for addresses that stopped connecting).
   */
  private sweep(now: number, keep: number): void {
    this.lastSweep = now;
    for (const [ip, counts] of this.byIp) {
      if (counts.open === 0 && now - counts.windowStart >= this.windowMs) this.byIp.delete(ip);
    }
    if (this.byIp.size <= keep) return;
    for (const [ip, counts] of this.byIp) {
      if (this.byIp.size <= keep) break;
      if (counts.open === 0) this.byIp.delete(ip);
    }
  }
}
