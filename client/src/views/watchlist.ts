// The watchlist table: header, rows and input composed; each frame writes only what changed.
import type { Dirty } from '../changes';
import { isStaleQuote } from '../connection';
import type { DashboardStore } from '../store';
import { WatchlistHeader } from './watchlist-header';
import { type WatchlistActions, WatchlistInput } from './watchlist-input';
import { COLUMNS, emptyText } from './watchlist-model';
import { WatchlistRow } from './watchlist-row';

export type { WatchlistActions } from './watchlist-input';

/**
 * A row's sparkline (5-minute steps) is redrawn at most this often, and only a few per frame:
 * redrawing an SVG path is the dearest thing in a row, and a hundred at once cost a frame.
 */
const SPARK_REDRAW_MS = 3_000;
const SPARKS_PER_FRAME = 6;

export class WatchlistView {
  private readonly header: WatchlistHeader;
  private readonly input: WatchlistInput;
  private readonly tbody: HTMLTableSectionElement;
  private readonly rows = new Map<string, WatchlistRow>();
  private readonly pendingSparks = new Set<string>();
  private emptyRow: HTMLTableRowElement | null = null;
  private order: readonly string[] = [];

  constructor(
    private readonly table: HTMLTableElement,
    private readonly store: DashboardStore,
    actions: WatchlistActions,
    private readonly locale?: string,
  ) {
    table.replaceChildren();
    this.header = new WatchlistHeader(table, (key) => actions.sort(key));
    this.tbody = table.createTBody();
    this.input = new WatchlistInput(this.tbody, actions, (s) => this.rows.get(s)?.tr);
  }

  /**
   * Applies what changed. Returns the symbols whose prices reached the screen from live ticks,
   * for the tick-to-screen measurement.
   */
  render(d: Dirty, frameNow: number, clock: boolean): string[] {
    if (d.rows || this.store.resortDue()) this.syncRows();
    if (d.rows || d.selection) this.syncSelection();
    if (d.rows) this.header.render(this.store.sort);
    const shown: string[] = [];
    for (const s of d.symbols) {
      const row = this.rows.get(s);
      const q = this.store.quotes.get(s);
      const inst = this.store.catalog.get(s);
      if (!row || !q || !inst) continue;
      row.fill(q, inst, this.locale);
      if (q.streamed) shown.push(s);
    }
    for (const s of d.sparks) this.pendingSparks.add(s);
    if (this.pendingSparks.size) this.drawSparks(frameNow);
    if (clock || d.connection) this.markStale();
    return shown;
  }

  private syncRows(): void {
    // Rows need instruments (names, precision): until the catalog arrives the table says so.
    const order = this.store.hasCatalog ? this.store.order() : [];
    const wanted = new Set(order);
    for (const [s, row] of this.rows) {
      if (!wanted.has(s)) {
        row.tr.remove();
        this.rows.delete(s);
        this.pendingSparks.delete(s);
      }
    }
    if (order.length === 0) {
      if (!this.emptyRow) {
        this.emptyRow = document.createElement('tr');
        const td = this.emptyRow.insertCell();
        td.colSpan = COLUMNS.length;
        td.className = 'empty';
        this.emptyRow.append(td);
      }
      this.emptyRow.cells[0].textContent = emptyText(this.store.hasCatalog);
      if (!this.emptyRow.isConnected) this.tbody.append(this.emptyRow);
    } else if (this.emptyRow?.isConnected) {
      this.emptyRow.remove();
    }
    if (order === this.order && this.tbody.childElementCount === order.length) return;
    // Move only the rows that are out of place.
    let i = 0;
    for (const s of order) {
      let row = this.rows.get(s);
      if (!row) {
        row = new WatchlistRow(s, this.store.catalog.get(s));
        this.rows.set(s, row);
        const q = this.store.quotes.get(s);
        const inst = this.store.catalog.get(s);
        if (q && inst) row.fill(q, inst, this.locale);
        this.pendingSparks.add(s);
      }
      const at = this.tbody.children[i];
      if (at !== row.tr) this.tbody.insertBefore(row.tr, at ?? null);
      i++;
    }
    this.order = order;
    for (const [idx, s] of order.entries()) this.rows.get(s)!.place(idx, order.length);
  }

  private drawSparks(now: number): void {
    let budget = SPARKS_PER_FRAME;
    for (const s of this.pendingSparks) {
      if (budget === 0) break;
      const row = this.rows.get(s);
      if (!row) {
        this.pendingSparks.delete(s);
        continue;
      }
      if (now - row.sparkAt < SPARK_REDRAW_MS) continue;
      this.pendingSparks.delete(s);
      const series = this.store.sparks.get(s);
      if (!series || series.c.length === 0) continue;
      budget--;
      row.drawSpark(series.c, this.store.quotes.get(s)?.prevClose, now);
    }
  }

  /** Liquid rows that stopped updating are dimmed, as is everything while disconnected. */
  private markStale(): void {
    const now = Date.now();
    this.table.classList.toggle('offline', this.store.connection === 'reconnecting');
    for (const row of this.rows.values()) {
      const q = this.store.quotes.get(row.symbol);
      row.setStale(!!q && isStaleQuote(q, now));
    }
  }

  private syncSelection(): void {
    const sel = this.store.selected;
    for (const row of this.rows.values()) row.setCurrent(row.symbol === sel);
  }

  destroy(): void {
    this.input.destroy();
    this.header.destroy();
    this.table.replaceChildren();
    this.rows.clear();
    this.pendingSparks.clear();
  }
}
