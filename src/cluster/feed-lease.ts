// Decides which node runs the feed: a lease held as one KV entry with a TTL, taken with create and
// kept with compare-and-set updates. Cluster mode only (ClusterIngest on nodes with FEED=auto).
//
// The lease gives liveness, not safety on its own: a node whose renewals stop knows it by its own
// clock, but a paused process cannot know anything until it runs again. What keeps two feeds from
// both being published is FencedTickPublisher; the lease only makes that rare and short.
import { Clock } from '../common/clock';
import { LeaseConflictError } from './cluster.errors';
import type { LeaseStore } from './lease-store';

export const FEED_LEASE_KEY = 'feed.leader';
export const FEED_LEASE_TTL_MS = 5_000;

/** One tenure. `term` is the revision of the create that began it: JetStream makes it grow. */
export interface LeaseTenure {
  nodeId: string;
  term: number;
}

export type LeaseLossReason = 'conflict' | 'error' | 'expired' | 'stopped';

export interface FeedLeaseOptions {
  nodeId: string;
  key?: string;
  /** Must equal the bucket's TTL: the node gives the lease up once its last renewal is this old. */
  ttlMs?: number;
  /** How often the holder renews; TTL/3 leaves two more tries before the entry would expire. */
  renewEveryMs?: number;
  /** How often a node without the lease tries to take it. */
  retryEveryMs?: number;
  onAcquired?: (tenure: LeaseTenure) => void;
  /** Called at once on loss, before any further store call: the feed must stop here. */
  onLost?: (tenure: LeaseTenure, reason: LeaseLossReason, error?: unknown) => void;
}

/** What `start()` schedules with; real timers by default, injected in specs. */
export interface LeaseTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const REAL_TIMERS: LeaseTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

interface Held {
  tenure: LeaseTenure;
  revision: number;
  /** When the last successful write was *sent*: the server's TTL started no earlier than this. */
  renewedAt: number;
}

/** The value stored under the key: who holds the lease, readable by operators with `nats kv get`. */
export interface LeaseValue {
  nodeId: string;
  /** 0 on the create (its revision is not known before it is written), the term afterwards. */
  term: number;
}

export class FeedLease {
  readonly key: string;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly retryEveryMs: number;
  private held: Held | null = null;
  private nextAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;
  /** Bumped on every loss, so the answer of a write sent before it is ignored. */
  private generation = 0;
  private stopped = false;
  private handle: unknown = null;
  private timers: LeaseTimers | null = null;

  constructor(
    private readonly store: LeaseStore,
    private readonly clock: Clock,
    private readonly options: FeedLeaseOptions,
  ) {
    this.key = options.key ?? FEED_LEASE_KEY;
    this.ttlMs = options.ttlMs ?? FEED_LEASE_TTL_MS;
    this.renewEveryMs = options.renewEveryMs ?? Math.floor(this.ttlMs / 3);
    this.retryEveryMs = options.retryEveryMs ?? Math.floor(this.ttlMs / 3);
    if (!(this.renewEveryMs > 0 && this.renewEveryMs < this.ttlMs)) {
      throw new RangeError(`renewEveryMs must be in (0, ttlMs): ${this.renewEveryMs}`);
    }
  }

  /** The current tenure, or null. Checks the clock, so a stale lease is never reported as held. */
  get tenure(): LeaseTenure | null {
    this.checkExpiry();
    return this.held?.tenure ?? null;
  }

  /** Ticks on a timer, a tenth of the TTL apart; the decisions are all in `tick()`. */
  start(
    timers: LeaseTimers = REAL_TIMERS,
    everyMs = Math.max(1, Math.floor(this.ttlMs / 10)),
  ): void {
    if (this.handle !== null) return;
    this.stopped = false;
    this.timers = timers;
    this.handle = timers.setInterval(() => void this.tick(), everyMs);
  }

  /**
   * Stops ticking and gives up a held lease: locally at once, then in the store by deleting the
   * entry if it is still this tenure's revision, so another node takes over without waiting for
   * the TTL (a failed delete only means it waits).
   */
  stop(): Promise<void> {
    if (this.handle !== null) this.timers?.clearInterval(this.handle);
    this.handle = null;
    this.stopped = true;
    const held = this.held;
    if (!held) return Promise.resolve();
    this.lose('stopped');
    return this.store.release(this.key, held.revision).catch(() => undefined);
  }

  /**
   * One step: give the lease up if its last renewal is a TTL old, renew it when due, or try to
   * take it when due. Never runs two store calls at once; resolves when this step's call is done.
   */
  tick(): Promise<void> {
    this.checkExpiry();
    if (this.stopped || this.inFlight) return this.inFlight ?? Promise.resolve();
    const now = this.clock.now();
    if (this.held) {
      if (now - this.held.renewedAt < this.renewEveryMs) return Promise.resolve();
      return this.track(this.renew(this.held));
    }
    if (now < this.nextAttemptAt) return Promise.resolve();
    return this.track(this.acquire());
  }

  private track(step: Promise<void>): Promise<void> {
    const done = step.finally(() => {
      if (this.inFlight === done) this.inFlight = null;
    });
    this.inFlight = done;
    return done;
  }

  private async acquire(): Promise<void> {
    const generation = this.generation;
    const sentAt = this.clock.now();
    const value: LeaseValue = { nodeId: this.options.nodeId, term: 0 };
    let revision: number;
    try {
      revision = await this.store.create(this.key, JSON.stringify(value));
    } catch {
      // Held by another node (LeaseConflictError) or the store is unreachable: try again later.
      this.nextAttemptAt = this.clock.now() + this.retryEveryMs;
      return;
    }
    if (generation !== this.generation || this.stopped) return;
    this.held = {
      tenure: { nodeId: this.options.nodeId, term: revision },
      revision,
      renewedAt: sentAt,
    };
    // An answer that took a whole TTL may describe an entry that has already expired.
    if (this.checkExpiry()) return;
    this.options.onAcquired?.(this.held.tenure);
  }

  private async renew(held: Held): Promise<void> {
    const generation = this.generation;
    const sentAt = this.clock.now();
    const value: LeaseValue = { nodeId: held.tenure.nodeId, term: held.tenure.term };
    try {
      const revision = await this.store.update(this.key, JSON.stringify(value), held.revision);
      if (generation !== this.generation) return;
      held.revision = revision;
      held.renewedAt = sentAt;
      this.checkExpiry();
    } catch (error) {
      if (generation !== this.generation) return;
      this.lose(error instanceof LeaseConflictError ? 'conflict' : 'error', error);
    }
  }

  /** Gives the lease up when the last renewal is a TTL old by this node's clock; true if it did. */
  private checkExpiry(): boolean {
    if (!this.held || this.clock.now() - this.held.renewedAt < this.ttlMs) return false;
    this.lose('expired');
    return true;
  }

  private lose(reason: LeaseLossReason, error?: unknown): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    this.generation++;
    this.nextAttemptAt = this.clock.now() + this.retryEveryMs;
    this.options.onLost?.(held.tenure, reason, error);
  }
}
