// The dashboard's state, composed of one module per concern: the watchlist and its preferences,
// the catalog, quotes, connection health, latency and the message bar. No DOM: views read it
// once per frame, and only the modules' own methods change it.
import type { Candle, Instrument, Interval, Snapshot, Tick, StreamMode } from '../../src/contracts';
import { Catalog, type CatalogReader } from './catalog';
import { ChangeTracker, type Dirty } from './changes';
import { ConnectionHealth, type ConnectionState } from './connection';
import { LatencyWindow, type LatencyStats } from './latency';
import { MessageBar, type Message, type MessageId } from './messages';
import { defaultPrefs, type Prefs, type Sort, type SortKey } from './preferences';
import type { Quote } from './quote';
import { QuoteBook, type QuoteStats } from './quote-book';
import type { SessionLine } from './spark';
import { Watchlist } from './watchlist';

export interface StoreStats extends QuoteStats {
  frames: number;
}

export class DashboardStore {
  private readonly instruments = new Catalog();
  private readonly changes = new ChangeTracker();
  private readonly list: Watchlist;
  private readonly book: QuoteBook;
  private readonly health: ConnectionHealth;
  private readonly latency = new LatencyWindow();
  private readonly messages = new MessageBar(this.changes);
  private frames = 0;

  constructor(prefs: Prefs = defaultPrefs(), now: () => number = Date.now) {
    this.health = new ConnectionHealth(this.changes, now);
    this.book = new QuoteBook({
      watched: (s) => this.list.has(s),
      changes: this.changes,
      now,
      heard: (s) => this.health.heard(s),
    });
    this.list = new Watchlist(prefs, {
      catalog: this.instruments,
      changes: this.changes,
      quoteOf: (s) => this.book.quotes.get(s),
      now,
    });
    // The first frame draws the table's frame (and its "loading" row) before any data.
    this.changes.rows();
    this.changes.connection();
  }

  // ---- frames ----

  /** Called whenever something becomes dirty; returns its unsubscribe. */
  onChange(listener: () => void): () => void {
    return this.changes.onChange(listener);
  }

  /** What changed since the last call; the caller renders exactly that. */
  takeDirty(): Dirty {
    return this.changes.take();
  }

  /** Counts a rendered frame (for the page's own statistics). */
  frameRendered(): void {
    this.frames++;
  }

  get stats(): Readonly<StoreStats> {
    return { ...this.book.stats, frames: this.frames };
  }

  // ---- catalog, watchlist and preferences ----

  /** Installs the catalog; drops watchlist symbols it does not know and returns them. */
  setCatalog(instruments: readonly Instrument[]): string[] {
    this.instruments.set(instruments);
    return this.list.pruneUnlisted();
  }

  get catalog(): CatalogReader {
    return this.instruments;
  }

  get hasCatalog(): boolean {
    return this.instruments.loaded;
  }

  search(query: string, limit = 8): Instrument[] {
    return this.instruments.search(query, limit);
  }

  /** Called with the preferences whenever they change (to persist them). */
  onPrefs(listener: (p: Prefs) => void): () => void {
    return this.list.onPrefs(listener);
  }

  getPrefs(): Prefs {
    return this.list.getPrefs();
  }

  get watchlist(): readonly string[] {
    return this.list.symbols;
  }

  get selected(): string | null {
    return this.list.selected;
  }

  get interval(): Interval {
    return this.list.interval;
  }

  get sort(): Readonly<Sort> {
    return this.list.sort;
  }

  add(symbol: string): boolean {
    return this.list.add(symbol);
  }

  remove(symbol: string): boolean {
    if (!this.list.remove(symbol)) return false;
    this.book.forget(symbol);
    this.health.heard(symbol);
    return true;
  }

  move(symbol: string, delta: number): boolean {
    return this.list.move(symbol, delta);
  }

  select(symbol: string): void {
    this.list.select(symbol);
  }

  setInterval(interval: Interval): void {
    this.list.setInterval(interval);
  }

  toggleSort(key: SortKey): void {
    this.list.toggleSort(key);
  }

  order(): readonly string[] {
    return this.list.order();
  }

  resortDue(): boolean {
    return this.list.resortDue();
  }

  // ---- market data ----

  get quotes(): ReadonlyMap<string, Readonly<Quote>> {
    return this.book.quotes;
  }

  get sparks(): ReadonlyMap<string, SessionLine> {
    return this.book.sparks;
  }

  /** Highest seq held per watched symbol, for resuming the stream after a reconnect. */
  resumePoints(): Record<string, number> {
    return this.book.resumePoints(this.list.symbols);
  }

  applySnapshot(s: Snapshot, fromStream: boolean): void {
    this.book.applySnapshot(s, fromStream);
  }

  applyTicks(ticks: readonly Tick[]): void {
    this.book.applyTicks(ticks);
  }

  setStreamMode(symbols: readonly string[], mode: StreamMode): void {
    this.book.setStreamMode(symbols, mode);
  }

  addSparkHistory(symbol: string, candles: readonly Candle[]): void {
    this.book.addSparkHistory(symbol, candles);
  }

  // ---- connection ----

  get connection(): ConnectionState {
    return this.health.state;
  }

  /** The symbol whose silence made the feed stale, if any. */
  get stale(): string | null {
    return this.health.stale;
  }

  /** The node serving the stream (cluster mode), once a subscribe acknowledgement names it. */
  get node(): string | null {
    return this.health.node;
  }

  /** Why the stream is paused (the server's `stalled` notice), while the badge says "paused". */
  get pauseMessage(): string | null {
    return this.health.pauseMessage;
  }

  connected(reconnect: boolean): void {
    this.book.newConnection();
    this.health.connected(reconnect);
  }

  disconnected(): void {
    this.health.disconnected();
  }

  /** A subscribe acknowledgement named the node serving this connection (null: it named none). */
  servedBy(node: string | null): void {
    this.health.servedBy(node);
  }

  /** The server stopped the tick stream; the socket and its subscriptions stay. */
  stalled(message: string): void {
    this.health.stalled(message);
  }

  /** The tick stream flows again after `stalled`. */
  recovered(): void {
    this.health.recovered();
  }

  /** Time-driven transitions: "resumed" settles, silent liquid symbols make the feed stale. */
  evaluate(): void {
    this.health.evaluate(this.list.symbols, (s) => this.book.quotes.get(s));
  }

  // ---- tick-to-screen latency ----

  recordLatency(ms: number): void {
    this.latency.record(ms);
  }

  latencyStats(): LatencyStats {
    return this.latency.stats();
  }

  resetLatency(): void {
    this.latency.reset();
  }

  // ---- messages ----

  get message(): Message | null {
    return this.messages.current;
  }

  showMessage(id: MessageId, text: string, action?: 'retry'): void {
    this.messages.show(id, text, action);
  }

  clearMessage(...ids: MessageId[]): void {
    this.messages.clear(...ids);
  }
}
