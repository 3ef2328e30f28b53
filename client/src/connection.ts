// Connection health as the badge shows it: connecting, live, resumed, reconnecting or stale, and
// the rule that calls a quote stale.
import type { ChangeTracker } from './changes';

export type ConnectionState = 'connecting' | 'live' | 'resumed' | 'reconnecting' | 'stale';

/** A liquid symbol that has been silent this long makes the feed "stale". */
export const STALE_MS = 5_000;
/** Mean gap between updates under which a symbol counts as liquid. */
export const LIQUID_GAP_MS = 1_500;
/** How long "resumed" shows after a reconnect before it reads "live" again. */
export const RESUMED_MS = 4_000;
/** Updates a symbol needs before its mean gap says anything. */
const LIQUID_MIN_UPDATES = 5;

/** What the stale rule reads of a quote. */
export interface QuoteActivity {
  updates: number;
  /** Smoothed gap between updates (ms). */
  meanGapMs: number;
  /** Client clock (ms) when the last update arrived. */
  receivedAt: number;
}

/** A usually busy symbol that has not updated for STALE_MS: its row dims, the feed reads "stale". */
export function isStaleQuote(q: QuoteActivity, now: number): boolean {
  return (
    q.updates >= LIQUID_MIN_UPDATES && q.meanGapMs < LIQUID_GAP_MS && now - q.receivedAt >= STALE_MS
  );
}

export class ConnectionHealth {
  private conn: ConnectionState = 'connecting';
  private resumedAt = 0;
  private staleSymbol: string | null = null;

  constructor(
    private readonly changes: ChangeTracker,
    private readonly now: () => number,
  ) {}

  get state(): ConnectionState {
    return this.conn;
  }

  /** The symbol whose silence made the feed stale, if any. */
  get stale(): string | null {
    return this.staleSymbol;
  }

  connected(reconnect: boolean): void {
    this.resumedAt = this.now();
    this.staleSymbol = null;
    this.set(reconnect ? 'resumed' : 'live');
  }

  disconnected(): void {
    this.set('reconnecting');
  }

  /** A live update for `symbol` arrived, or it left the watchlist: it is no longer the stale one. */
  heard(symbol: string): void {
    if (this.staleSymbol === symbol) this.staleSymbol = null;
  }

  /**
   * Time-driven transitions, called a few times a second: "resumed" settles to "live", and the
   * longest-silent stale quote among `symbols` makes the feed "stale" until it ticks again.
   */
  evaluate(
    symbols: Iterable<string>,
    quoteOf: (symbol: string) => QuoteActivity | undefined,
  ): void {
    const now = this.now();
    if (this.conn === 'reconnecting' || this.conn === 'connecting') return;
    if (this.conn === 'resumed' && now - this.resumedAt < RESUMED_MS) return;
    let stale: string | null = null;
    let worst = STALE_MS;
    for (const s of symbols) {
      const q = quoteOf(s);
      if (!q || !isStaleQuote(q, now)) continue;
      const age = now - q.receivedAt;
      if (age >= worst) {
        worst = age;
        stale = s;
      }
    }
    this.staleSymbol = stale;
    this.set(stale ? 'stale' : 'live');
  }

  private set(state: ConnectionState): void {
    if (this.conn === state) return;
    this.conn = state;
    this.changes.connection();
    this.changes.notify();
  }
}
