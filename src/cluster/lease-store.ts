// The narrow KV seam the feed lease needs: compare-and-set writes on a key whose entries expire.
// Implemented by JetStreamLeaseStore (a KV bucket with a TTL) and, for specs, FakeLeaseStore.

export interface LeaseEntry {
  value: string;
  /** The entry's revision: a stream sequence, so it only ever grows across the whole bucket. */
  revision: number;
}

export interface LeaseStore {
  /** Writes the key only if it is absent (or expired); throws LeaseConflictError otherwise. */
  create(key: string, value: string): Promise<number>;
  /** Writes the key only if `revision` is still its latest; throws LeaseConflictError otherwise. */
  update(key: string, value: string, revision: number): Promise<number>;
  /** Deletes the key only if `revision` is still its latest (a no-op otherwise). */
  release(key: string, revision: number): Promise<void>;
  /** The live entry, or null when the key is absent, deleted or expired. */
  get(key: string): Promise<LeaseEntry | null>;
}
