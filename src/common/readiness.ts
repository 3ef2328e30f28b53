// Whether this node should be sent traffic: ready once nothing holds it back. Parts of the app
// hold it back by name (a node catching up with the stream, a node draining on SIGTERM, a store
// that refuses writes) and say why, or register a check that is asked at each status (a write
// backlog, a stalled event loop); /api/health/ready answers 503 with those reasons until every
// hold is released and every check passes.
import { Injectable } from '@nestjs/common';

export interface ReadinessStatus {
  ready: boolean;
  /** Why the node is not ready, one line per hold or failing check; empty when ready. */
  waiting: string[];
}

/** A check asked at each status: why the node is not ready, or undefined when it may be. */
export type ReadinessCheck = () => string | undefined;

@Injectable()
export class Readiness {
  private readonly holds = new Map<string, string>();
  private readonly checks = new Map<string, ReadinessCheck>();

  /** Holds readiness back under `name` (replacing an earlier reason of the same name). */
  hold(name: string, reason: string): void {
    this.holds.set(name, reason);
  }

  release(name: string): void {
    this.holds.delete(name);
  }

  /** Asks `check` at every status until the returned function removes it. */
  check(name: string, check: ReadinessCheck): () => void {
    this.checks.set(name, check);
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name);
    };
  }

  status(): ReadinessStatus {
    const waiting = [...this.holds.values()];
    for (const check of this.checks.values()) {
      const reason = check();
      if (reason !== undefined) waiting.push(reason);
    }
    return { ready: waiting.length === 0, waiting };
  }
}

/** Ticks waiting to be written past which a node is not ready: the store is falling behind. */
export function maxWriteBacklog(tickRate: number): number {
  // Ten seconds of the whole feed: far more than one flush holds, even at FLUSH_MS=1000.
  return Math.max(50_000, tickRate * 10);
}

/**
 * What a store writer reports: a failed write holds readiness back until a write succeeds, and a
 * backlog past `maxBacklog` ticks fails the check while it lasts.
 */
export class StoreWriteHealth {
  static readonly HOLD = 'store-writes';

  constructor(
    private readonly readiness: Readiness,
    private readonly maxBacklog: number,
  ) {}

  /** Registers the backlog check; the returned function removes it. */
  watchBacklog(backlog: () => number): () => void {
    return this.readiness.check('store-backlog', () => {
      const n = backlog();
      return n > this.maxBacklog
        ? `store writes behind: ${n} ticks wait to be written (more than ${this.maxBacklog})`
        : undefined;
    });
  }

  failed(error: unknown): void {
    this.readiness.hold(
      StoreWriteHealth.HOLD,
      `the store refuses writes: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  succeeded(): void {
    this.readiness.release(StoreWriteHealth.HOLD);
  }

  /** The writer stopped (it stepped down): its failures no longer describe this node. */
  clear(): void {
    this.readiness.release(StoreWriteHealth.HOLD);
  }
}
