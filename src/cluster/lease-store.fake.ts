// An in-memory LeaseStore with JetStream KV's semantics: revisions from one bucket-wide sequence,
// create only on an absent or expired key, update only on the latest revision, entries expiring a
// TTL after their last write by the server's clock (a ManualClock, apart from the nodes' clocks).
import { ManualClock } from '../common/clock';
import { LeaseConflictError } from './cluster.errors';
import type { LeaseEntry, LeaseStore } from './lease-store';

interface Stored {
  value: string;
  revision: number;
  writtenAt: number;
}

export class FakeLeaseStore implements LeaseStore {
  private readonly entries = new Map<string, Stored>();
  private sequence = 0;
  /** Every write the store accepted, in order: specs check who held the key when. */
  readonly writes: { key: string; value: string; revision: number; at: number }[] = [];
  calls = 0;
  /** When set, each call waits for it before it reaches the "server" (specs reorder calls). */
  beforeApply?: () => Promise<void>;

  constructor(
    readonly serverClock: ManualClock,
    readonly ttlMs: number,
  ) {}

  async create(key: string, value: string): Promise<number> {
    await this.enter();
    if (this.live(key)) throw new LeaseConflictError(key, 'key exists');
    return this.write(key, value);
  }

  async update(key: string, value: string, revision: number): Promise<number> {
    await this.enter();
    const current = this.live(key);
    if (!current || current.revision !== revision) {
      throw new LeaseConflictError(key, `wrong last sequence: ${current?.revision ?? 0}`);
    }
    return this.write(key, value);
  }

  async release(key: string, revision: number): Promise<void> {
    await this.enter();
    if (this.live(key)?.revision === revision) this.entries.delete(key);
  }

  async get(key: string): Promise<LeaseEntry | null> {
    await this.enter();
    const current = this.live(key);
    return current ? { value: current.value, revision: current.revision } : null;
  }

  private async enter(): Promise<void> {
    this.calls++;
    if (this.beforeApply) await this.beforeApply();
  }

  private live(key: string): Stored | undefined {
    const entry = this.entries.get(key);
    if (entry && this.serverClock.now() - entry.writtenAt >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, value: string): number {
    const revision = ++this.sequence;
    const at = this.serverClock.now();
    this.entries.set(key, { value, revision, writtenAt: at });
    this.writes.push({ key, value, revision, at });
    return revision;
  }
}
