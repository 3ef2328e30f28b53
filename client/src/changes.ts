// What changed since the last frame, and who to tell. The store's modules mark; the frame takes.

export interface Dirty {
  /** Symbols whose quote changed. */
  symbols: Set<string>;
  /** Sparklines to redraw. */
  sparks: Set<string>;
  /** Rows added, removed or reordered. */
  rows: boolean;
  selection: boolean;
  connection: boolean;
  message: boolean;
}

export function emptyDirty(): Dirty {
  return {
    symbols: new Set(),
    sparks: new Set(),
    rows: false,
    selection: false,
    connection: false,
    message: false,
  };
}

/**
 * Collects changes between frames. Marking is cheap and silent; `notify()` tells the listeners
 * (the frame scheduler), once per batch of marks.
 */
export class ChangeTracker {
  private dirty: Dirty = emptyDirty();
  private readonly listeners = new Set<() => void>();

  symbol(symbol: string): void {
    this.dirty.symbols.add(symbol);
  }

  spark(symbol: string): void {
    this.dirty.sparks.add(symbol);
  }

  rows(): void {
    this.dirty.rows = true;
  }

  selection(): void {
    this.dirty.selection = true;
  }

  connection(): void {
    this.dirty.connection = true;
  }

  message(): void {
    this.dirty.message = true;
  }

  notify(): void {
    for (const l of this.listeners) l();
  }

  /** Called whenever something becomes dirty; returns its unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What changed since the last call; the caller renders exactly that. */
  take(): Dirty {
    const d = this.dirty;
    this.dirty = emptyDirty();
    return d;
  }
}
