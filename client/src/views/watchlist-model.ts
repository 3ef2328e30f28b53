// The watchlist's view-model, pure: columns, each row's cell text and tone, flash and sort marks.
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
import type { Sort, SortKey } from '../preferences';
import type { Quote } from '../quote';

/** The cells that hold a value as text, each in its own size-contained box. */
export type CellKey =
  'name' | 'last' | 'change' | 'changePct' | 'bid' | 'ask' | 'spread' | 'high' | 'low' | 'volume';

/** The cells a new quote rewrites, in the order they are written. */
export const QUOTE_CELLS = [
  'last',
  'change',
  'changePct',
  'bid',
  'ask',
  'spread',
  'high',
  'low',
  'volume',
] as const satisfies readonly CellKey[];
export type QuoteCell = (typeof QUOTE_CELLS)[number];

export interface Column {
  key: SortKey | 'spark' | 'actions';
  label: string;
  /** Narrow screens drop columns of a higher priority number first. */
  priority: number;
  numeric?: boolean;
  title?: string;
}

export const COLUMNS: readonly Column[] = [
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

/** The class a column's header and cells share: its key, its priority, numeric alignment. */
export function columnClass(col: Column): string {
  return `col-${col.key} p${col.priority}${col.numeric ? ' num' : ''}`;
}

/** Up for gains, down for losses, nothing when flat or unknown. */
export type Tone = 'pos' | 'neg' | '';

/** What one quote puts in its row: the text of each quote cell and the change's tone. */
export type RowCells = Record<QuoteCell, string> & { tone: Tone };

export type QuoteFigures = Pick<
  Quote,
  'last' | 'prevClose' | 'bid' | 'ask' | 'high' | 'low' | 'volume'
>;

export function rowCells(
  q: Readonly<QuoteFigures>,
  inst: Pick<Instrument, 'pricePrecision' | 'currency'>,
  locale?: string,
): RowCells {
  const p = inst.pricePrecision;
  const { change, changePct } = changeOf(q.last, q.prevClose);
  return {
    last: formatMoney(q.last, p, inst.currency, locale),
    change: formatChange(change, p, locale),
    changePct: formatPercent(changePct, locale),
    bid: formatPrice(q.bid, p, locale),
    ask: formatPrice(q.ask, p, locale),
    spread: formatPrice(spreadOf(q.bid, q.ask, p), p, locale),
    high: formatPrice(q.high, p, locale),
    low: formatPrice(q.low, p, locale),
    volume: formatVolume(q.volume, locale),
    tone: change > 0 ? 'pos' : change < 0 ? 'neg' : '',
  };
}

/**
 * The last price's flash class. Two identical animations under different names (`flip`
 * alternates them): swapping restarts the flash without forcing a layout.
 */
export function flashClass(up: boolean, flip: boolean): string {
  return `${up ? 'up' : 'down'} flash${flip ? 1 : 2}`;
}

/** A sortable header's `aria-sort`, or null when the table is not sorted by it. */
export function ariaSortOf(key: SortKey, sort: Readonly<Sort>): 'ascending' | 'descending' | null {
  if (key !== sort.key) return null;
  return sort.dir === 1 ? 'ascending' : 'descending';
}

/** The session line's tone against the previous close; none without one. */
export function sparkTone(closes: readonly number[], base: number | undefined): Tone {
  if (base === undefined || !Number.isFinite(base)) return '';
  return closes[closes.length - 1] >= base ? 'pos' : 'neg';
}

/** What the table says when it has no rows. */
export function emptyText(hasCatalog: boolean): string {
  return hasCatalog
    ? 'Your watchlist is empty. Add a symbol with the search box above.'
    : 'Loading instruments…';
}
