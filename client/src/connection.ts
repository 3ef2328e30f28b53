// Connection health as the badge shows it: connecting, live, resumed, reconnecting, stale or
// paused, the node serving the stream, and the rule that calls a quote stale.
import type { ChangeTracker } from './changes';

export type ConnectionState =
  | 'connecting'
  | 'live'
  | 'resumed'
  | 'reconnecting'
  | 'stale'
  /** Connected, but the server said the tick stream stopped (a `stalled` notice). */
  | 'paused';

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
  /** The stale rule waits until then: after a pause, ticks need a moment to flow again. */
  private quietUntil = 0;
  private staleSymbol: string | null = null;
  private servingNode: string | null = null;
  private pauseText: string | null = null;

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

  /** The node serving this connection, as its subscribe acknowledgement named it (cluster mode). */
  get node(): string | null {
    return this.servingNode;
  }

  /** Why the stream is paused (the `stalled` notice's message), while it is. */
  get pauseMessage(): string | null {
    return this.conn === 'paused' ? this.pauseText : null;
  }

  connected(reconnect: boolean): void {
    this.resumedAt = this.now();
    this.quietUntil = 0;
    this.staleSymbol = null;
    this.pauseText = null;
    this.setNode(null); // until this connection's first acknowledgement names one
    this.set(reconnect ? 'resumed' : 'live');
  }

  disconnected(): void {
    this.pauseText = null;
    this.setNode(null);
    this.set('reconnecting');
  }

  /** A subscribe acknowledgement named the serving node, or (a single server) none. */
  servedBy(node: string | null): void {
    if (!this.up) return; // an answer that outlived its connection
    this.setNode(node);
  }

  /**
   * The server stopped the tick stream (a `stalled` notice): the socket is still up and its
   * subscriptions stay, so this is no disconnect; only a notice can end it.
   */
  stalled(message: string): void {
    if (!this.up) return; // a notice only comes over an open socket
    const changed = this.pauseText !== message;
    this.pauseText = message;
    this.staleSymbol = null;
    if (this.conn !== 'paused') this.set('paused');
    else if (changed) this.mark();
  }

  /** The tick stream flows again (a `recovered` notice). */
  recovered(): void {
    if (this.conn !== 'paused') return;
    this.pauseText = null;
    this.quietUntil = this.now() + STALE_MS;
    this.set('live');
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
    if (!this.up || this.conn === 'paused') return;
    if (this.conn === 'resumed' && now - this.resumedAt < RESUMED_MS) return;
    if (now < this.quietUntil) return;
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

  /** The socket is connected. */
  private get up(): boolean {
    return this.conn !== 'reconnecting' && this.conn !== 'connecting';
  }

  private setNode(node: string | null): void {
    if (this.servingNode === node) return;
    this.servingNode = node;
    this.mark();
  }

  private set(state: ConnectionState): void {
    if (this.conn === state) return;
    this.conn = state;
    this.mark();
  }

  private mark(): void {
    this.changes.connection();
    this.changes.notify();
  }
}
