// The watchlist table. Render only: it writes the cells whose text changed, nothing else.
import type { Instrument } from '../../../src/contracts';
import {
  changeOf,
  formatChange,
  formatMoney,
  formatPercent,
  formatPrice,
  formatVolume,
  spreadOf,
} from '../format';
import { sparkPath, sparkY } from '../spark';
import type { Dirty } from '../changes';
import { isStaleQuote } from '../connection';
import type { SortKey } from '../preferences';
import type { Quote } from '../quote';
import type { DashboardStore } from '../store';

export interface WatchlistActions {
  select(symbol: string): void;
  remove(symbol: string): void;
  move(symbol: string, delta: number): void;
  sort(key: SortKey): void;
}

type CellKey =
  'name' | 'last' | 'change' | 'changePct' | 'bid' | 'ask' | 'spread' | 'high' | 'low' | 'volume';

interface Column {
  key: SortKey | 'spark' | 'actions';
  label: string;
  /** Narrow screens drop columns of a higher priority number first. */
  priority: number;
  numeric?: boolean;
  title?: string;
}

const COLUMNS: Column[] = [
  { key: 'symbol', label: 'Symbol', priority: 0 },
  { key: 'name', label: 'Name', priority: 3 },
  { key: 'last', label: 'Last', priority: 0, numeric: true },
  { key: 'change', label: 'Chg', priority: 2, numeric: true, title: 'Change since previous close' },
  { key: 'changePct', label: 'Chg %', priority: 0, numeric: true },
  { key: 'bid', label: 'Bid', priority: 2, numeric: true },
  { key: 'ask', label: 'Ask', priority: 2, numeric: true },
  { key: 'spread', label: 'Spread', priority: 3, numeric: true },
  { key: 'high', label: 'High', priority: 3, numeric: true, title: 'Day high (UTC day)' },
  { key: 'low', label: 'Low', priority: 3, numeric: true, title: 'Day low (UTC day)' },
  { key: 'volume', label: 'Volume', priority: 2, numeric: true, title: 'Volume today (UTC)' },
  { key: 'spark', label: 'Session', priority: 1, title: 'Today, in 5-minute steps' },
  { key: 'actions', label: 'Actions', priority: 0 },
];

const SPARK_W = 96;
const SPARK_H = 24;
/**
 * A row's sparkline (5-minute steps) is redrawn at most this often, and only a few per frame:
 * redrawing an SVG path is the dearest thing in a row, and a hundred at once cost a frame.
 */
const SPARK_REDRAW_MS = 3_000;
const SPARKS_PER_FRAME = 6;
const SVG_NS = 'http://www.w3.org/2000/svg';

interface Row {
  symbol: string;
  tr: HTMLTableRowElement;
  cells: Record<CellKey, HTMLElement>;
  text: Partial<Record<CellKey, string>>;
  cls: Partial<Record<CellKey | 'row', string>>;
  shownLast: number;
  flip: boolean;
  sparkLine: SVGPathElement;
  sparkBase: SVGLineElement;
  sparkAt: number;
  sparkCls: string;
}

export class WatchlistView {
  private readonly tbody: HTMLTableSectionElement;
  private readonly rows = new Map<string, Row>();
  private readonly pendingSparks = new Set<string>();
  private readonly headers = new Map<SortKey, HTMLTableCellElement>();
  private readonly unlisten: Array<() => void> = [];
  private emptyRow: HTMLTableRowElement | null = null;
  private order: readonly string[] = [];

  constructor(
    private readonly table: HTMLTableElement,
    private readonly store: DashboardStore,
    private readonly actions: WatchlistActions,
    private readonly locale?: string,
  ) {
    table.replaceChildren();
    const caption = table.createCaption();
    caption.className = 'sr-only';
    caption.textContent = 'Watchlist: live prices. Column headers sort; rows select the chart.';
    const thead = table.createTHead();
    const hr = thead.insertRow();
    for (const col of COLUMNS) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.className = `col-${col.key} p${col.priority}${col.numeric ? ' num' : ''}`;
      if (col.title) th.title = col.title;
      if (col.key === 'spark' || col.key === 'actions') {
        th.innerHTML =
          col.key === 'actions' ? '<span class="sr-only">Actions</span>' : `${col.label}`;
      } else {
        const key = col.key;
        const btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'sort';
        btn.textContent = col.label;
        btn.addEventListener('click', () => this.actions.sort(key));
        th.append(btn);
        this.headers.set(key, th);
      }
      hr.append(th);
    }
    this.tbody = table.createTBody();
    const onClick = (e: Event) => this.onClick(e);
    const onKey = (e: KeyboardEvent) => this.onKey(e);
    this.tbody.addEventListener('click', onClick);
    this.tbody.addEventListener('keydown', onKey);
    this.unlisten.push(
      () => this.tbody.removeEventListener('click', onClick),
      () => this.tbody.removeEventListener('keydown', onKey),
    );
  }

  /**
   * Applies what changed. Returns the symbols whose prices reached the screen from live ticks,
   * for the tick-to-screen measurement.
   */
  render(d: Dirty, frameNow: number, clock: boolean): string[] {
    if (d.rows || this.store.resortDue()) this.syncRows();
    if (d.rows || d.selection) this.syncSelection();
    if (d.rows) this.syncSortHeaders();
    const shown: string[] = [];
    for (const s of d.symbols) {
      const row = this.rows.get(s);
      const q = this.store.quotes.get(s);
      const inst = this.store.catalog.get(s);
      if (!row || !q || !inst) continue;
      this.fillRow(row, q, inst);
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
      this.emptyRow.cells[0].textContent = this.store.hasCatalog
        ? 'Your watchlist is empty. Add a symbol with the search box above.'
        : 'Loading instruments…';
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
        row = this.createRow(s);
        this.rows.set(s, row);
        const q = this.store.quotes.get(s);
        const inst = this.store.catalog.get(s);
        if (q && inst) this.fillRow(row, q, inst);
        this.pendingSparks.add(s);
      }
      const at = this.tbody.children[i];
      if (at !== row.tr) this.tbody.insertBefore(row.tr, at ?? null);
      i++;
    }
    this.order = order;
    const n = order.length;
    for (const [idx, s] of order.entries()) {
      const row = this.rows.get(s)!;
      const up = row.tr.querySelector<HTMLButtonElement>('button[data-act="up"]')!;
      const down = row.tr.querySelector<HTMLButtonElement>('button[data-act="down"]')!;
      up.disabled = idx === 0;
      down.disabled = idx === n - 1;
    }
  }

  private createRow(symbol: string): Row {
    const inst = this.store.catalog.get(symbol);
    const tr = document.createElement('tr');
    tr.dataset.symbol = symbol;
    const th = document.createElement('th');
    th.scope = 'row';
    th.className = 'col-symbol p0';
    const sel = document.createElement('button');
    sel.type = 'button';
    sel.className = 'sym';
    sel.dataset.act = 'select';
    sel.textContent = symbol;
    sel.title = `${inst?.name ?? symbol}: show in the chart`;
    th.append(sel);
    tr.append(th);
    const cells = {} as Record<CellKey, HTMLElement>;
    let sparkLine!: SVGPathElement;
    let sparkBase!: SVGLineElement;
    for (const col of COLUMNS.slice(1)) {
      const td = tr.insertCell();
      td.className = `col-${col.key} p${col.priority}${col.numeric ? ' num' : ''}`;
      if (col.key === 'spark') {
        const svg = document.createElementNS(SVG_NS, 'svg');
        svg.setAttribute('viewBox', `0 0 ${SPARK_W} ${SPARK_H}`);
        svg.setAttribute('width', String(SPARK_W));
        svg.setAttribute('height', String(SPARK_H));
        svg.setAttribute('aria-hidden', 'true');
        sparkBase = document.createElementNS(SVG_NS, 'line');
        sparkBase.setAttribute('class', 'base');
        sparkBase.setAttribute('x1', '0');
        sparkBase.setAttribute('x2', String(SPARK_W));
        sparkLine = document.createElementNS(SVG_NS, 'path');
        sparkLine.setAttribute('class', 'line');
        svg.append(sparkBase, sparkLine);
        td.append(svg);
      } else if (col.key === 'actions') {
        td.append(
          actionButton('up', '↑', `Move ${symbol} up`),
          actionButton('down', '↓', `Move ${symbol} down`),
          actionButton('remove', '✕', `Remove ${symbol} from the watchlist`),
        );
      } else {
        // The text lives in a size-contained box: a new price relays out that box alone,
        // not the whole table.
        const v = document.createElement('span');
        v.className = 'v';
        v.textContent = col.key === 'name' ? (inst?.name ?? '') : '—';
        td.append(v);
        td.classList.add('boxed');
        cells[col.key as CellKey] = v;
      }
    }
    return {
      symbol,
      tr,
      cells,
      text: { name: inst?.name ?? '' },
      cls: {},
      shownLast: NaN,
      flip: false,
      sparkLine,
      sparkBase,
      sparkAt: -Infinity,
      sparkCls: '',
    };
  }

  private fillRow(row: Row, q: Readonly<Quote>, inst: Instrument): void {
    const p = inst.pricePrecision;
    const loc = this.locale;
    const { change, changePct } = changeOf(q.last, q.prevClose);
    const tone = change > 0 ? 'pos' : change < 0 ? 'neg' : '';
    this.set(row, 'last', formatMoney(q.last, p, inst.currency, loc));
    this.set(row, 'change', formatChange(change, p, loc));
    this.set(row, 'changePct', formatPercent(changePct, loc));
    this.set(row, 'bid', formatPrice(q.bid, p, loc));
    this.set(row, 'ask', formatPrice(q.ask, p, loc));
    this.set(row, 'spread', formatPrice(spreadOf(q.bid, q.ask, p), p, loc));
    this.set(row, 'high', formatPrice(q.high, p, loc));
    this.set(row, 'low', formatPrice(q.low, p, loc));
    this.set(row, 'volume', formatVolume(q.volume, loc));
    this.setClass(row, 'change', tone);
    this.setClass(row, 'changePct', tone);
    if (q.last !== row.shownLast) {
      if (!Number.isNaN(row.shownLast)) {
        // Two identical animations under different names: swapping restarts the flash
        // without forcing a layout.
        row.flip = !row.flip;
        const dir = q.last > row.shownLast ? 'up' : 'down';
        this.setClass(row, 'last', `${dir} flash${row.flip ? 1 : 2}`);
      }
      row.shownLast = q.last;
    }
  }

  private set(row: Row, key: CellKey, text: string): void {
    if (row.text[key] === text) return;
    row.text[key] = text;
    row.cells[key].textContent = text;
  }

  private setClass(row: Row, key: CellKey, cls: string): void {
    if (row.cls[key] === cls) return;
    const base = row.cells[key].className.split(' tone ')[0];
    row.cls[key] = cls;
    row.cells[key].className = cls ? `${base} tone ${cls}` : base;
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
      const q = this.store.quotes.get(s);
      if (!series || series.c.length === 0) continue;
      row.sparkAt = now;
      budget--;
      const base = q?.prevClose;
      row.sparkLine.setAttribute('d', sparkPath(series.c, SPARK_W, SPARK_H, base));
      if (base !== undefined && Number.isFinite(base)) {
        const y = sparkY(series.c, SPARK_H, base, base).toFixed(1);
        row.sparkBase.setAttribute('y1', y);
        row.sparkBase.setAttribute('y2', y);
      }
      const last = series.c[series.c.length - 1];
      const cls = base === undefined || !Number.isFinite(base) ? '' : last >= base ? 'pos' : 'neg';
      if (cls !== row.sparkCls) {
        row.sparkCls = cls;
        row.sparkLine.setAttribute('class', `line ${cls}`);
      }
    }
  }

  /** Liquid rows that stopped updating are dimmed, as is everything while disconnected. */
  private markStale(): void {
    const now = Date.now();
    const offline = this.store.connection === 'reconnecting';
    this.table.classList.toggle('offline', offline);
    for (const row of this.rows.values()) {
      const q = this.store.quotes.get(row.symbol);
      const stale = !!q && isStaleQuote(q, now);
      const cls = stale ? 'stale' : '';
      if (row.cls.row !== cls) {
        row.cls.row = cls;
        row.tr.classList.toggle('stale', stale);
      }
    }
  }

  private syncSelection(): void {
    const sel = this.store.selected;
    for (const row of this.rows.values()) {
      const on = row.symbol === sel;
      if (on) row.tr.setAttribute('aria-current', 'true');
      else row.tr.removeAttribute('aria-current');
    }
  }

  private syncSortHeaders(): void {
    const { key, dir } = this.store.sort;
    for (const [k, th] of this.headers) {
      if (k === key) th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  }

  private onClick(e: Event): void {
    const target = e.target as HTMLElement;
    const tr = target.closest('tr');
    const symbol = tr?.dataset.symbol;
    if (!symbol) return;
    const btn = target.closest<HTMLButtonElement>('button[data-act]');
    const act = btn?.dataset.act;
    if (act === 'remove') this.actions.remove(symbol);
    else if (act === 'up') this.actions.move(symbol, -1);
    else if (act === 'down') this.actions.move(symbol, 1);
    else this.actions.select(symbol);
    if (act === 'up' || act === 'down') {
      // Keep focus on the moved row's button so repeated presses keep moving it.
      requestAnimationFrame(() => {
        const again = this.rows
          .get(symbol)
          ?.tr.querySelector<HTMLButtonElement>(`button[data-act="${act}"]`);
        const target =
          again && !again.disabled
            ? again
            : this.rows.get(symbol)?.tr.querySelector<HTMLButtonElement>('.sym');
        target?.focus();
      });
    }
  }

  /** Alt+↑/↓ moves the focused row; Delete removes it. */
  private onKey(e: KeyboardEvent): void {
    const tr = (e.target as HTMLElement).closest('tr');
    const symbol = tr?.dataset.symbol;
    if (!symbol) return;
    if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      e.preventDefault();
      this.actions.move(symbol, e.key === 'ArrowUp' ? -1 : 1);
      requestAnimationFrame(() =>
        this.rows.get(symbol)?.tr.querySelector<HTMLButtonElement>('.sym')?.focus(),
      );
    } else if (e.key === 'Delete' && (e.target as HTMLElement).classList.contains('sym')) {
      e.preventDefault();
      const next = tr.nextElementSibling ?? tr.previousElementSibling;
      this.actions.remove(symbol);
      requestAnimationFrame(() =>
        (next?.querySelector<HTMLButtonElement>('.sym') ?? null)?.focus(),
      );
    }
  }

  destroy(): void {
    for (const off of this.unlisten) off();
    this.table.replaceChildren();
    this.rows.clear();
  }
}

function actionButton(act: string, text: string, label: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `act act-${act}`;
  b.dataset.act = act;
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.title = label;
  return b;
}
