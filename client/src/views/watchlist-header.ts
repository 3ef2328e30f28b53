// The watchlist table's caption and column headers: the sort buttons and their aria-sort marks.
import type { Sort, SortKey } from '../preferences';
import { ariaSortOf, columnClass, COLUMNS } from './watchlist-model';

export class WatchlistHeader {
  private readonly headers = new Map<SortKey, HTMLTableCellElement>();
  private readonly unlisten: Array<() => void> = [];

  /** Adds the caption and the header row to `table`; a sort button calls `onSort` with its key. */
  constructor(table: HTMLTableElement, onSort: (key: SortKey) => void) {
    const caption = table.createCaption();
    caption.className = 'sr-only';
    caption.textContent = 'Watchlist: live prices. Column headers sort; rows select the chart.';
    const hr = table.createTHead().insertRow();
    for (const col of COLUMNS) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.className = columnClass(col);
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
        const onClick = () => onSort(key);
        btn.addEventListener('click', onClick);
        this.unlisten.push(() => btn.removeEventListener('click', onClick));
        th.append(btn);
        this.headers.set(key, th);
      }
      hr.append(th);
    }
  }

  /** Marks the column the table is sorted by, and its direction. */
  render(sort: Readonly<Sort>): void {
    for (const [key, th] of this.headers) {
      const mark = ariaSortOf(key, sort);
      if (mark) th.setAttribute('aria-sort', mark);
      else th.removeAttribute('aria-sort');
    }
  }

  destroy(): void {
    for (const off of this.unlisten) off();
    this.headers.clear();
  }
}
