// LeaseStore on a JetStream KV bucket whose TTL (the stream's max_age) expires the lease entry.
// Cluster mode only: the embedded default (one process, no NATS) never opens it.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { LeaseConflictError } from '../cluster.errors';
import { FEED_LEASE_TTL_MS } from '../feed-lease';
import type { LeaseEntry, LeaseStore } from '../lease-store';

export const FEED_LEASE_BUCKET = 'tickerboard_feed_lease';

export interface JetStreamLeaseStoreOptions {
  bucket?: string;
  /** The bucket's TTL; FeedLease must be given the same value. */
  ttlMs?: number;
  /** Answers slower than this count as errors, which FeedLease treats as loss. */
  timeoutMs?: number;
  /** Replicas when the bucket is created. */
  replicas?: number;
}

export class JetStreamLeaseStore implements LeaseStore {
  constructor(
    private readonly kv: KV,
    private readonly timeoutMs?: number,
  ) {}

  /** Opens the bucket, creating it with `ttlMs` and one revision of history when absent. */
  static async open(
    nc: NatsConnection,
    {
      bucket = FEED_LEASE_BUCKET,
      ttlMs = FEED_LEASE_TTL_MS,
      timeoutMs,
      replicas = 1,
    }: JetStreamLeaseStoreOptions = {},
  ): Promise<JetStreamLeaseStore> {
    const kv = await new Kvm(nc).create(bucket, { ttl: ttlMs, history: 1, replicas });
    const status = await kv.status();
    if (status.ttl !== ttlMs) {
      throw new Error(`KV bucket ${bucket} has a TTL of ${status.ttl} ms, not ${ttlMs} ms`);
    }
    return new JetStreamLeaseStore(kv, timeoutMs);
  }

  async create(key: string, value: string): Promise<number> {
    try {
      return await this.kv.create(key, value);
    } catch (error) {
      throw asConflict(key, error);
    }
  }

  async update(key: string, value: string, revision: number): Promise<number> {
    try {
      return await this.kv.update(key, value, revision, this.timeoutMs);
    } catch (error) {
      throw asConflict(key, error);
    }
  }

  async release(key: string, revision: number): Promise<void> {
    try {
      await this.kv.delete(key, { previousSeq: revision });
    } catch (error) {
      if (!(asConflict(key, error) instanceof LeaseConflictError)) throw error;
    }
  }

  async get(key: string): Promise<LeaseEntry | null> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return null;
    return { value: entry.string(), revision: entry.revision };
  }
}

/** KV's compare-and-set refusals come back as the stream's "wrong last sequence". */
function asConflict(key: string, error: unknown): unknown {
  if (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  ) {
    return new LeaseConflictError(key, error.message);
  }
  return error;
}
