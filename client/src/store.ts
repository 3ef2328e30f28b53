// The dashboard's state: watchlist, quotes, connection, preferences. No DOM: views read it once per frame.
import {
  DEFAULT_WATCHLIST,
  INTERVALS,
  isInterval,
  type Instrument,
  type Interval,
  type Snapshot,
  type Tick,
} from '../../src/contracts';
import { changeOf } from './format';
import { SessionSeries } from './spark';

export { DEFAULT_WATCHLIST };
export const DEFAULT_INTERVAL: Interval = '1m';

/** A liquid symbol that has been silent this long makes the feed "stale". */
export const STALE_MS = 5_000;
/** Mean gap between updates under which a symbol counts as liquid. */
export const LIQUID_GAP_MS = 1_500;
/** How long "resumed" shows after a reconnect before it reads "live" again. */
export const RESUMED_MS = 4_000;
/** Live-sorted tables reorder at most this often, so rows do not jump under the pointer. */
export const RESORT_MS = 1_000;

export const SORT_KEYS = [
  'symbol',
  'name',
  'last',
  'change',
  'changePct',
  'bid',
  'ask',
  'spread',
  'high',
  'low',
  'volume',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface Sort {
  key: SortKey | null;
  dir: 1 | -1;
}

export interface Prefs {
  watchlist: string[];
  selected: string | null;
  interval: Interval;
  sort: Sort;
}

export type ConnectionState = 'connecting' | 'live' | 'resumed' | 'reconnecting' | 'stale';

/** One instrument's latest quote and day statistics, as shown. */
export interface Quote extends Tick {
  open: number;
  high: number;
  low: number;
  prevClose: number;
  /** Start of the UTC day the statistics belong to. */
  day: number;
  /** Direction of the last change of `last`: 1 up, -1 down, 0 none yet. */
  direction: 1 | -1 | 0;
  /** Client clock (ms) when the last update arrived. */
  receivedAt: number;
  /** Connection the data came from; data from an older one yields to the next snapshot. */
  epoch: number;
  /** True when `ts` is a live tick (tick-to-screen latency is meaningful), false for snapshots. */
  streamed: boolean;
  /** Smoothed gap between updates (ms), to tell liquid symbols from quiet ones. */
  meanGapMs: number;
  updates: number;
}

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

export interface Message {
  kind: 'error' | 'info';
  text: string;
  /** Offered as a button when set. */
  action?: 'retry';
}

export interface StoreStats {
  ticks: number;
  duplicates: number;
  /** Ticks missing between two received ones, counted only for the full (unconflated) stream. */
  gaps: number;
  snapshots: number;
  frames: number;
}

const DAY_MS = 86_400_000;
const PREFS_VERSION = 1;

export function defaultPrefs(): Prefs {
  return {
    watchlist: [...DEFAULT_WATCHLIST],
    selected: DEFAULT_WATCHLIST[0],
    interval: DEFAULT_INTERVAL,
    sort: { key: null, dir: 1 },
  };
}

/** Reads stored preferences, falling back field by field to the defaults on anything odd. */
export function parsePrefs(raw: string | null | undefined): Prefs {
  const prefs = defaultPrefs();
  if (!raw) return prefs;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return prefs;
  }
  if (typeof data !== 'object' || data === null) return prefs;
  const d = data as Record<string, unknown>;
  if (Array.isArray(d.watchlist)) {
    const seen = new Set<string>();
    for (const s of d.watchlist) {
      if (typeof s === 'string' && s.length > 0 && s.length <= 32) seen.add(s.toUpperCase());
    }
    prefs.watchlist = [...seen];
  }
  if (typeof d.selected === 'string' && prefs.watchlist.includes(d.selected)) {
    prefs.selected = d.selected;
  } else {
    prefs.selected = prefs.watchlist[0] ?? null;
  }
  if (isInterval(d.interval)) prefs.interval = d.interval;
  if (typeof d.sort === 'object' && d.sort !== null) {
    const s = d.sort as Record<string, unknown>;
    const key = (SORT_KEYS as readonly unknown[]).includes(s.key) ? (s.key as SortKey) : null;
    prefs.sort = { key, dir: s.dir === -1 ? -1 : 1 };
  }
  return prefs;
}

export function serializePrefs(prefs: Prefs): string {
  return JSON.stringify({ v: PREFS_VERSION, ...prefs });
}

function utcDay(ts: number): number {
  return ts - (((ts % DAY_MS) + DAY_MS) % DAY_MS);
}

/** The value a column sorts by. */
export function sortValue(
  key: SortKey,
  symbol: string,
  q: Quote | undefined,
  inst: Instrument | undefined,
): number | string {
  switch (key) {
    case 'symbol':
      return symbol;
    case 'name':
      return inst?.name ?? symbol;
    case 'change':
      return q ? changeOf(q.last, q.prevClose).change : NaN;
    case 'changePct':
      return q ? changeOf(q.last, q.prevClose).changePct : NaN;
    case 'spread':
      return q ? q.ask - q.bid : NaN;
    default:
      return q ? q[key] : NaN;
  }
}

/** Catalog search for the add box: symbol prefix first, then symbol, then name matches. */
export function searchInstruments(
  catalog: Iterable<Instrument>,
  query: string,
  limit = 8,
): Instrument[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const ranked: Array<[number, Instrument]> = [];
  for (const inst of catalog) {
    const sym = inst.symbol.toLowerCase();
    const name = inst.name.toLowerCase();
    let rank = -1;
    if (sym === q) rank = 0;
    else if (sym.startsWith(q)) rank = 1;
    else if (name.startsWith(q)) rank = 2;
    else if (name.split(/[\s/.,-]+/).some((w) => w.startsWith(q))) rank = 3;
    else if (sym.includes(q) || name.includes(q)) rank = 4;
    if (rank >= 0) ranked.push([rank, inst]);
  }
  ranked.sort((a, b) => a[0] - b[0] || a[1].symbol.localeCompare(b[1].symbol));
  return ranked.slice(0, limit).map(([, inst]) => inst);
}

type Listener = () => void;

export class DashboardStore {
  readonly catalog = new Map<string, Instrument>();
  readonly quotes = new Map<string, Quote>();
  readonly sparks = new Map<string, SessionSeries>();
  readonly stats: StoreStats = { ticks: 0, duplicates: 0, gaps: 0, snapshots: 0, frames: 0 };
  /** Symbols streamed in full, where a jump in seq is a real gap (conflation skips on purpose). */
  readonly contiguous = new Set<string>();

  private prefs: Prefs;
  private catalogLoaded = false;
  private conn: ConnectionState = 'connecting';
  private resumedAt = 0;
  private epochNo = 0;
  private staleSymbol: string | null = null;
  private msg: Message | null = null;
  private dirty: Dirty = emptyDirty();
  private readonly listeners = new Set<Listener>();
  private readonly prefListeners = new Set<(p: Prefs) => void>();
  private sortedCache: string[] | null = null;
  private sortedAt = -Infinity;
  private readonly latency = new Float64Array(512);
  private latencyCount = 0;
  private latencyNext = 0;

  constructor(
    prefs: Prefs = defaultPrefs(),
    private readonly now: () => number = Date.now,
  ) {
    this.prefs = { ...prefs, watchlist: [...prefs.watchlist] };
    // The first frame draws the table's frame (and its "loading" row) before any data.
    this.dirty.rows = true;
    this.dirty.connection = true;
  }

  // ---- subscriptions ----

  /** Called whenever something becomes dirty; returns its unsubscribe. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called with the preferences whenever they change (to persist them). */
  onPrefs(listener: (p: Prefs) => void): () => void {
    this.prefListeners.add(listener);
    return () => this.prefListeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private prefsChanged(): void {
    const snapshot = this.getPrefs();
    for (const l of this.prefListeners) l(snapshot);
  }

  /** What changed since the last call; the caller renders exactly that. */
  takeDirty(): Dirty {
    const d = this.dirty;
    this.dirty = emptyDirty();
    return d;
  }

  // ---- preferences and watchlist ----

  getPrefs(): Prefs {
    return {
      watchlist: [...this.prefs.watchlist],
      selected: this.prefs.selected,
      interval: this.prefs.interval,
      sort: { ...this.prefs.sort },
    };
  }

  get watchlist(): readonly string[] {
    return this.prefs.watchlist;
  }

  get selected(): string | null {
    return this.prefs.selected;
  }

  get interval(): Interval {
    return this.prefs.interval;
  }

  get sort(): Sort {
    return this.prefs.sort;
  }

  /** Installs the catalog; drops watchlist symbols it does not know and returns them. */
  setCatalog(instruments: readonly Instrument[]): string[] {
    this.catalog.clear();
    for (const inst of instruments) this.catalog.set(inst.symbol, inst);
    this.catalogLoaded = true;
    const unknown = this.prefs.watchlist.filter((s) => !this.catalog.has(s));
    if (unknown.length) {
      this.prefs.watchlist = this.prefs.watchlist.filter((s) => this.catalog.has(s));
      if (this.prefs.selected && !this.catalog.has(this.prefs.selected)) {
        this.prefs.selected = this.prefs.watchlist[0] ?? null;
        this.dirty.selection = true;
      }
      this.prefsChanged();
    }
    this.rowsChanged();
    return unknown;
  }

  get hasCatalog(): boolean {
    return this.catalogLoaded;
  }

  search(query: string, limit = 8): Instrument[] {
    return searchInstruments(this.catalog.values(), query, limit);
  }

  /** Adds a catalog symbol at the end of the watchlist; false if unknown or already there. */
  add(symbol: string): boolean {
    const s = symbol.toUpperCase();
    if (!this.catalog.has(s) || this.prefs.watchlist.includes(s)) return false;
    this.prefs.watchlist.push(s);
    if (!this.prefs.selected) {
      this.prefs.selected = s;
      this.dirty.selection = true;
    }
    this.rowsChanged();
    this.prefsChanged();
    return true;
  }

  remove(symbol: string): boolean {
    const i = this.prefs.watchlist.indexOf(symbol);
    if (i < 0) return false;
    this.prefs.watchlist.splice(i, 1);
    this.quotes.delete(symbol);
    this.sparks.delete(symbol);
    this.contiguous.delete(symbol);
    if (this.prefs.selected === symbol) {
      const list = this.prefs.watchlist;
      this.prefs.selected = list[Math.min(i, list.length - 1)] ?? null;
      this.dirty.selection = true;
    }
    if (this.staleSymbol === symbol) this.staleSymbol = null;
    this.rowsChanged();
    this.prefsChanged();
    return true;
  }

  /**
   * Moves a symbol by `delta` places in the order the trader sees. A sorted table becomes the
   * manual order as shown, then the move applies, so the row goes where the trader expects.
   */
  move(symbol: string, delta: number): boolean {
    const order = [...this.order()];
    const i = order.indexOf(symbol);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= order.length || delta === 0) return false;
    order.splice(i, 1);
    order.splice(j, 0, symbol);
    this.prefs.watchlist = order;
    this.prefs.sort = { key: null, dir: 1 };
    this.rowsChanged();
    this.prefsChanged();
    return true;
  }

  select(symbol: string): void {
    if (this.prefs.selected === symbol || !this.prefs.watchlist.includes(symbol)) return;
    this.prefs.selected = symbol;
    this.dirty.selection = true;
    this.changed();
    this.prefsChanged();
  }

  setInterval(interval: Interval): void {
    if (this.prefs.interval === interval || !INTERVALS.includes(interval)) return;
    this.prefs.interval = interval;
    this.dirty.selection = true;
    this.changed();
    this.prefsChanged();
  }

  /** Clicking a column: ascending, then descending, then back to the manual order. */
  toggleSort(key: SortKey): void {
    const cur = this.prefs.sort;
    const textual = key === 'symbol' || key === 'name';
    const first: 1 | -1 = textual ? 1 : -1;
    if (cur.key !== key) this.prefs.sort = { key, dir: first };
    else if (cur.dir === first) this.prefs.sort = { key, dir: first === 1 ? -1 : 1 };
    else this.prefs.sort = { key: null, dir: 1 };
    this.rowsChanged();
    this.prefsChanged();
  }

  private rowsChanged(): void {
    this.sortedCache = null;
    this.dirty.rows = true;
    this.changed();
  }

  /** Symbols in display order. A sort on a live column re-evaluates at most every RESORT_MS. */
  order(): readonly string[] {
    const { key, dir } = this.prefs.sort;
    if (!key) return this.prefs.watchlist;
    const now = this.now();
    const live = key !== 'symbol' && key !== 'name';
    if (this.sortedCache && (!live || now - this.sortedAt < RESORT_MS)) return this.sortedCache;
    const rows = this.prefs.watchlist.map((s) => ({
      s,
      v: sortValue(key, s, this.quotes.get(s), this.catalog.get(s)),
    }));
    rows.sort((a, b) => {
      const av = a.v;
      const bv = b.v;
      if (typeof av === 'string' || typeof bv === 'string') {
        return String(av).localeCompare(String(bv)) * dir;
      }
      // Unknown values sink to the bottom whichever the direction.
      const an = Number.isNaN(av);
      const bn = Number.isNaN(bv);
      if (an || bn) return an === bn ? 0 : an ? 1 : -1;
      return (av - bv) * dir || a.s.localeCompare(b.s);
    });
    this.sortedCache = rows.map((r) => r.s);
    this.sortedAt = now;
    return this.sortedCache;
  }

  /** True when a live sort is due to be re-evaluated (the view then re-reads order()). */
  resortDue(): boolean {
    const key = this.prefs.sort.key;
    if (!key || key === 'symbol' || key === 'name') return false;
    return this.now() - this.sortedAt >= RESORT_MS;
  }

  // ---- market data ----

  get epoch(): number {
    return this.epochNo;
  }

  /** Highest seq held per watched symbol, for resuming the stream after a reconnect. */
  resumePoints(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.prefs.watchlist) {
      const q = this.quotes.get(s);
      if (q) out[s] = q.seq;
    }
    return out;
  }

  /**
   * A snapshot from the subscribe acknowledgement (`fromStream`) or from REST. On a new
   * connection the stream's snapshot is the truth even if its seq is lower (the server may have
   * restarted); otherwise the newer seq wins, and day high/low merge either way.
   */
  applySnapshot(s: Snapshot, fromStream: boolean): void {
    if (!this.prefs.watchlist.includes(s.symbol)) return;
    this.stats.snapshots++;
    const q = this.quotes.get(s.symbol);
    const receivedAt = this.now();
    const day = utcDay(s.ts);
    const replace = !q || s.seq >= q.seq || (fromStream && q.epoch < this.epochNo);
    if (!replace) {
      // The stream is ahead; REST still knows extremes a conflated stream may have skipped.
      if (q.day === day) {
        const high = Math.max(q.high, s.high);
        const low = Math.min(q.low, s.low);
        const touched = high !== q.high || low !== q.low;
        q.high = high;
        q.low = low;
        if (touched) this.touch(s.symbol);
      }
      return;
    }
    const next: Quote = {
      symbol: s.symbol,
      seq: s.seq,
      ts: s.ts,
      bid: s.bid,
      ask: s.ask,
      last: s.last,
      size: s.size,
      volume: s.volume,
      bidSize: s.bidSize,
      askSize: s.askSize,
      open: s.open,
      high: q && q.day === day ? Math.max(q.high, s.high) : s.high,
      low: q && q.day === day ? Math.min(q.low, s.low) : s.low,
      prevClose: s.prevClose,
      day,
      direction: q ? (s.last > q.last ? 1 : s.last < q.last ? -1 : q.direction) : 0,
      receivedAt,
      epoch: fromStream ? this.epochNo : (q?.epoch ?? this.epochNo),
      streamed: false,
      meanGapMs: q?.meanGapMs ?? NaN,
      updates: q?.updates ?? 0,
    };
    this.quotes.set(s.symbol, next);
    this.sparkOf(s.symbol).addPrice(s.ts, s.last);
    this.dirty.sparks.add(s.symbol);
    this.touch(s.symbol);
  }

  /** A batch from the stream (may mix symbols). Old or duplicate seqs are dropped. */
  applyTicks(ticks: readonly Tick[]): void {
    const receivedAt = this.now();
    let any = false;
    for (const t of ticks) {
      const q = this.quotes.get(t.symbol);
      if (!q) {
        // A tick before its snapshot: keep it; the snapshot fills in the day figures.
        if (!this.prefs.watchlist.includes(t.symbol)) continue;
        this.quotes.set(t.symbol, this.fromTick(t, receivedAt));
        this.stats.ticks++;
        any = true;
        continue;
      }
      const sameConnection = q.epoch === this.epochNo;
      if (t.seq <= q.seq && sameConnection) {
        this.stats.duplicates++;
        continue;
      }
      if (t.seq <= q.seq) {
        // First data on a new connection with a lower seq: the server's history was reset.
        q.epoch = this.epochNo;
      } else if (t.seq > q.seq + 1 && this.contiguous.has(t.symbol)) {
        this.stats.gaps += t.seq - q.seq - 1;
      }
      this.stats.ticks++;
      const day = utcDay(t.ts);
      if (day > q.day) {
        q.prevClose = q.last;
        q.open = q.high = q.low = t.last;
        q.day = day;
      } else {
        if (t.last > q.high) q.high = t.last;
        if (t.last < q.low) q.low = t.last;
      }
      if (t.last !== q.last) q.direction = t.last > q.last ? 1 : -1;
      const gap = receivedAt - q.receivedAt;
      q.meanGapMs = Number.isNaN(q.meanGapMs) ? gap : q.meanGapMs * 0.8 + gap * 0.2;
      q.updates++;
      q.seq = t.seq;
      q.ts = t.ts;
      q.bid = t.bid;
      q.ask = t.ask;
      q.last = t.last;
      q.size = t.size;
      q.volume = t.volume;
      q.bidSize = t.bidSize;
      q.askSize = t.askSize;
      q.receivedAt = receivedAt;
      q.epoch = this.epochNo;
      q.streamed = true;
      if (this.sparkOf(t.symbol).addPrice(t.ts, t.last)) this.dirty.sparks.add(t.symbol);
      this.dirty.symbols.add(t.symbol);
      if (this.staleSymbol === t.symbol) this.staleSymbol = null;
      any = true;
    }
    if (any) this.changed();
  }

  private fromTick(t: Tick, receivedAt: number): Quote {
    this.sparkOf(t.symbol).addPrice(t.ts, t.last);
    this.dirty.sparks.add(t.symbol);
    this.dirty.symbols.add(t.symbol);
    return {
      ...t,
      open: NaN,
      high: t.last,
      low: t.last,
      prevClose: NaN,
      day: utcDay(t.ts),
      direction: 0,
      receivedAt,
      epoch: this.epochNo,
      streamed: true,
      meanGapMs: NaN,
      updates: 1,
    };
  }

  /** Which symbols stream every tick (gap-checked) and which are conflated. */
  setStreamMode(symbols: readonly string[], mode: 'full' | 'conflated'): void {
    for (const s of symbols) {
      if (mode === 'full') this.contiguous.add(s);
      else this.contiguous.delete(s);
    }
  }

  sparkOf(symbol: string): SessionSeries {
    let s = this.sparks.get(symbol);
    if (!s) {
      s = new SessionSeries();
      this.sparks.set(symbol, s);
    }
    return s;
  }

  /** Marks a sparkline for redraw after history was merged into it. */
  sparkChanged(symbol: string): void {
    this.dirty.sparks.add(symbol);
    this.changed();
  }

  private touch(symbol: string): void {
    this.dirty.symbols.add(symbol);
    this.changed();
  }

  // ---- connection ----

  get connection(): ConnectionState {
    return this.conn;
  }

  /** The symbol whose silence made the feed stale, if any. */
  get stale(): string | null {
    return this.staleSymbol;
  }

  connected(reconnect: boolean): void {
    this.epochNo++;
    this.resumedAt = this.now();
    this.staleSymbol = null;
    this.setConnection(reconnect ? 'resumed' : 'live');
  }

  disconnected(): void {
    this.setConnection('reconnecting');
  }

  private setConnection(state: ConnectionState): void {
    if (this.conn === state) return;
    this.conn = state;
    this.dirty.connection = true;
    this.changed();
  }

  /**
   * Time-driven transitions, called a few times a second: "resumed" settles to "live", and a
   * liquid symbol silent for STALE_MS makes the feed "stale" until it ticks again.
   */
  evaluate(): void {
    const now = this.now();
    if (this.conn === 'reconnecting' || this.conn === 'connecting') return;
    if (this.conn === 'resumed' && now - this.resumedAt < RESUMED_MS) return;
    let stale: string | null = null;
    let worst = STALE_MS;
    for (const s of this.prefs.watchlist) {
      const q = this.quotes.get(s);
      if (!q || q.updates < 5 || !(q.meanGapMs < LIQUID_GAP_MS)) continue;
      const age = now - q.receivedAt;
      if (age >= worst) {
        worst = age;
        stale = s;
      }
    }
    this.staleSymbol = stale;
    this.setConnection(stale ? 'stale' : 'live');
  }

  // ---- tick-to-screen latency ----

  recordLatency(ms: number): void {
    this.latency[this.latencyNext] = ms;
    this.latencyNext = (this.latencyNext + 1) % this.latency.length;
    if (this.latencyCount < this.latency.length) this.latencyCount++;
  }

  /** Median and 95th percentile of the most recent samples. */
  latencyStats(): { p50: number; p95: number; n: number } {
    const n = this.latencyCount;
    if (!n) return { p50: NaN, p95: NaN, n };
    const xs = Array.from(this.latency.subarray(0, n)).sort((a, b) => a - b);
    return { p50: xs[Math.floor((n - 1) * 0.5)], p95: xs[Math.floor((n - 1) * 0.95)], n };
  }

  resetLatency(): void {
    this.latencyCount = 0;
    this.latencyNext = 0;
  }

  // ---- messages ----

  get message(): Message | null {
    return this.msg;
  }

  setMessage(msg: Message | null): void {
    if (this.msg?.text === msg?.text && this.msg?.kind === msg?.kind) return;
    this.msg = msg;
    this.dirty.message = true;
    this.changed();
  }
}

function emptyDirty(): Dirty {
  return {
    symbols: new Set(),
    sparks: new Set(),
    rows: false,
    selection: false,
    connection: false,
    message: false,
  };
}
