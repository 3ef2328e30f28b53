// One watchlist row: cells written only when their text changes, price flash, sparkline, buttons.
import type { Instrument } from '../../../src/contracts';
import { sparkPath, sparkY } from '../spark';
import type { Quote } from '../quote';
import {
  type CellKey,
  columnClass,
  COLUMNS,
  flashClass,
  QUOTE_CELLS,
  rowCells,
  sparkTone,
} from './watchlist-model';

const SPARK_W = 96;
const SPARK_H = 24;
const SVG_NS = 'http://www.w3.org/2000/svg';

export class WatchlistRow {
  readonly tr: HTMLTableRowElement;
  private readonly cells = {} as Record<CellKey, HTMLElement>;
  /** What each cell shows, so that unchanged text and classes are not written again. */
  private readonly text: Partial<Record<CellKey, string>>;
  private readonly cls: Partial<Record<CellKey, string>> = {};
  private readonly up: HTMLButtonElement;
  private readonly down: HTMLButtonElement;
  private readonly sparkLine: SVGPathElement;
  private readonly sparkBase: SVGLineElement;
  private shownLast = NaN;
  private flip = false;
  private sparkCls = '';
  private stale = false;
  private drawnAt = -Infinity;

  constructor(
    readonly symbol: string,
    inst: Instrument | undefined,
  ) {
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
    let sparkLine!: SVGPathElement;
    let sparkBase!: SVGLineElement;
    let up!: HTMLButtonElement;
    let down!: HTMLButtonElement;
    for (const col of COLUMNS.slice(1)) {
      const td = tr.insertCell();
      td.className = columnClass(col);
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
        up = actionButton('up', '↑', `Move ${symbol} up`);
        down = actionButton('down', '↓', `Move ${symbol} down`);
        td.append(up, down, actionButton('remove', '✕', `Remove ${symbol} from the watchlist`));
      } else {
        // The text lives in a size-contained box: a new price relays out that box alone,
        // not the whole table.
        const v = document.createElement('span');
        v.className = 'v';
        v.textContent = col.key === 'name' ? (inst?.name ?? '') : '—';
        td.append(v);
        td.classList.add('boxed');
        this.cells[col.key as CellKey] = v;
      }
    }
    this.tr = tr;
    this.text = { name: inst?.name ?? '' };
    this.sparkLine = sparkLine;
    this.sparkBase = sparkBase;
    this.up = up;
    this.down = down;
  }

  /** When the sparkline was last drawn (frame time, ms). */
  get sparkAt(): number {
    return this.drawnAt;
  }

  /** Writes the cells whose text changed, and flashes the last price when it moved. */
  fill(q: Readonly<Quote>, inst: Instrument, locale?: string): void {
    const view = rowCells(q, inst, locale);
    for (const key of QUOTE_CELLS) this.set(key, view[key]);
    this.setClass('change', view.tone);
    this.setClass('changePct', view.tone);
    if (q.last !== this.shownLast) {
      if (!Number.isNaN(this.shownLast)) {
        this.flip = !this.flip;
        this.setClass('last', flashClass(q.last > this.shownLast, this.flip));
      }
      this.shownLast = q.last;
    }
  }

  /** Redraws the session line against the previous close (`base`), if there is one. */
  drawSpark(closes: readonly number[], base: number | undefined, now: number): void {
    this.drawnAt = now;
    this.sparkLine.setAttribute('d', sparkPath(closes, SPARK_W, SPARK_H, base));
    if (base !== undefined && Number.isFinite(base)) {
      const y = sparkY(closes, SPARK_H, base, base).toFixed(1);
      this.sparkBase.setAttribute('y1', y);
      this.sparkBase.setAttribute('y2', y);
    }
    const cls = sparkTone(closes, base);
    if (cls !== this.sparkCls) {
      this.sparkCls = cls;
      this.sparkLine.setAttribute('class', `line ${cls}`);
    }
  }

  /** Enables the move buttons that lead somewhere from position `index` of `count`. */
  place(index: number, count: number): void {
    this.up.disabled = index === 0;
    this.down.disabled = index === count - 1;
  }

  setCurrent(on: boolean): void {
    if (on) this.tr.setAttribute('aria-current', 'true');
    else this.tr.removeAttribute('aria-current');
  }

  setStale(stale: boolean): void {
    if (stale === this.stale) return;
    this.stale = stale;
    this.tr.classList.toggle('stale', stale);
  }

  private set(key: CellKey, text: string): void {
    if (this.text[key] === text) return;
    this.text[key] = text;
    this.cells[key].textContent = text;
  }

  private setClass(key: CellKey, cls: string): void {
    if (this.cls[key] === cls) return;
    const base = this.cells[key].className.split(' tone ')[0];
    this.cls[key] = cls;
    this.cells[key].className = cls ? `${base} tone ${cls}` : base;
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
