// The watchlist the trader keeps: its symbols and their order, the selection, the chart interval
// and the sort. Changes reach the frame through the tracker and storage through onPrefs.
import { INTERVALS, type Instrument, type Interval } from '../../src/contracts';
import type { Catalog } from './catalog';
import type { ChangeTracker } from './changes';
import { changeOf } from './format';
import type { Prefs, Sort, SortKey } from './preferences';
import type { Quote } from './quote';

/** Live-sorted tables reorder at most this often, so rows do not jump under the pointer. */
export const RESORT_MS = 1_000;

/** The value a column sorts by. */
export function sortValue(
  key: SortKey,
  symbol: string,
  q: Readonly<Quote> | undefined,
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

function isLive(key: SortKey): boolean {
  return key !== 'symbol' && key !== 'name';
}

export interface WatchlistOptions {
  catalog: Catalog;
  changes: ChangeTracker;
  /** The quote a live sort reads. */
  quoteOf(symbol: string): Readonly<Quote> | undefined;
  now: () => number;
}

export class Watchlist {
  private prefs: Prefs;
  private readonly prefListeners = new Set<(p: Prefs) => void>();
  private sortedCache: string[] | null = null;
  private sortedAt = -Infinity;

  constructor(
    prefs: Prefs,
    private readonly opts: WatchlistOptions,
  ) {
    this.prefs = { ...prefs, watchlist: [...prefs.watchlist], sort: { ...prefs.sort } };
  }

  /** Called with the preferences whenever they change (to persist them). */
  onPrefs(listener: (p: Prefs) => void): () => void {
    this.prefListeners.add(listener);
    return () => this.prefListeners.delete(listener);
  }

  getPrefs(): Prefs {
    return {
      watchlist: [...this.prefs.watchlist],
      selected: this.prefs.selected,
      interval: this.prefs.interval,
      sort: { ...this.prefs.sort },
    };
  }

  get symbols(): readonly string[] {
    return this.prefs.watchlist;
  }

  get selected(): string | null {
    return this.prefs.selected;
  }

  get interval(): Interval {
    return this.prefs.interval;
  }

  get sort(): Readonly<Sort> {
    return this.prefs.sort;
  }

  has(symbol: string): boolean {
    return this.prefs.watchlist.includes(symbol);
  }

  /** After the catalog arrived: drops the symbols it does not list and returns them. */
  pruneUnlisted(): string[] {
    const { catalog } = this.opts;
    const unknown = this.prefs.watchlist.filter((s) => !catalog.has(s));
    if (unknown.length) {
      this.prefs.watchlist = this.prefs.watchlist.filter((s) => catalog.has(s));
      if (this.prefs.selected && !catalog.has(this.prefs.selected)) {
        this.prefs.selected = this.prefs.watchlist[0] ?? null;
        this.opts.changes.selection();
      }
      this.prefsChanged();
    }
    this.rowsChanged();
    return unknown;
  }

  /** Adds a catalog symbol at the end of the watchlist; false if unknown or already there. */
  add(symbol: string): boolean {
    const s = symbol.toUpperCase();
    if (!this.opts.catalog.has(s) || this.prefs.watchlist.includes(s)) return false;
    this.prefs.watchlist.push(s);
    if (!this.prefs.selected) {
      this.prefs.selected = s;
      this.opts.changes.selection();
    }
    this.rowsChanged();
    this.prefsChanged();
    return true;
  }

  remove(symbol: string): boolean {
    const i = this.prefs.watchlist.indexOf(symbol);
    if (i < 0) return false;
    this.prefs.watchlist.splice(i, 1);
    if (this.prefs.selected === symbol) {
      const list = this.prefs.watchlist;
      this.prefs.selected = list[Math.min(i, list.length - 1)] ?? null;
      this.opts.changes.selection();
    }
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
    this.opts.changes.selection();
    this.opts.changes.notify();
    this.prefsChanged();
  }

  setInterval(interval: Interval): void {
    if (this.prefs.interval === interval || !INTERVALS.includes(interval)) return;
    this.prefs.interval = interval;
    this.opts.changes.selection();
    this.opts.changes.notify();
    this.prefsChanged();
  }

  /** Clicking a column: ascending, then descending, then back to the manual order. */
  toggleSort(key: SortKey): void {
    const cur = this.prefs.sort;
    const first: 1 | -1 = isLive(key) ? -1 : 1;
    if (cur.key !== key) this.prefs.sort = { key, dir: first };
    else if (cur.dir === first) this.prefs.sort = { key, dir: first === 1 ? -1 : 1 };
    else this.prefs.sort = { key: null, dir: 1 };
    this.rowsChanged();
    this.prefsChanged();
  }

  /** Symbols in display order. A sort on a live column re-evaluates at most every RESORT_MS. */
  order(): readonly string[] {
    const { key, dir } = this.prefs.sort;
    if (!key) return this.prefs.watchlist;
    const now = this.opts.now();
    if (this.sortedCache && (!isLive(key) || now - this.sortedAt < RESORT_MS)) {
      return this.sortedCache;
    }
    const { catalog, quoteOf } = this.opts;
    const rows = this.prefs.watchlist.map((s) => ({
      s,
      v: sortValue(key, s, quoteOf(s), catalog.get(s)),
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
    if (!key || !isLive(key)) return false;
    return this.opts.now() - this.sortedAt >= RESORT_MS;
  }

  private rowsChanged(): void {
    this.sortedCache = null;
    this.opts.changes.rows();
    this.opts.changes.notify();
  }

  private prefsChanged(): void {
    const snapshot = this.getPrefs();
    for (const l of this.prefListeners) l(snapshot);
  }
}
