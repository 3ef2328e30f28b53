// A bounded LRU of encoded responses, for history that can no longer change.
import { LRUCache } from 'lru-cache';

export class ResponseCache<T extends NonNullable<unknown>> {
  private readonly entries: LRUCache<string, T>;

  /** `sizeOf` gives an entry's cost in bytes; the entries together never cost more than `maxBytes`. */
  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (value: T) => number,
  ) {
    // lru-cache wants positive integer sizes; an empty entry still costs one.
    this.entries = new LRUCache<string, T>({
      maxSize: maxBytes,
      sizeCalculation: (value) => Math.max(1, Math.ceil(sizeOf(value))),
    });
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  /** An entry larger than the whole budget is not stored (and what the key held stays). */
  set(key: string, value: T): void {
    if (this.sizeOf(value) > this.maxBytes) return;
    this.entries.set(key, value);
  }

  get size(): number {
    return this.entries.size;
  }
}
