// The detail strip for the selected symbol: quote, sizes, day figures and how old the data is.
import type { Instrument } from '../../../src/contracts';
import { formatAge, formatPrice, formatVolume, spreadOf } from '../format';
import type { Quote } from '../quote';

const FIELDS = [
  ['bid', 'Bid'],
  ['ask', 'Ask'],
  ['spread', 'Spread'],
  ['open', 'Open'],
  ['high', 'High'],
  ['low', 'Low'],
  ['prevClose', 'Prev close'],
  ['volume', 'Volume'],
  ['age', 'Updated'],
] as const;
type Field = (typeof FIELDS)[number][0];

export class DetailView {
  private readonly values = new Map<Field, HTMLElement>();
  private readonly text = new Map<Field, string>();

  constructor(
    private readonly dl: HTMLElement,
    private readonly locale?: string,
  ) {
    dl.replaceChildren();
    for (const [key, label] of FIELDS) {
      const div = document.createElement('div');
      div.className = `d-${key}`;
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.textContent = '—';
      div.append(dt, dd);
      dl.append(div);
      this.values.set(key, dd);
    }
  }

  /** `now` is the client clock; the age is measured from the tick's own UTC timestamp. */
  render(q: Readonly<Quote> | undefined, inst: Instrument | undefined, now: number): void {
    const p = inst?.pricePrecision ?? 2;
    const loc = this.locale;
    const withSize = (price: number, size: number | undefined) =>
      size === undefined
        ? formatPrice(price, p, loc)
        : `${formatPrice(price, p, loc)} × ${formatVolume(size, loc)}`;
    this.set('bid', q ? withSize(q.bid, q.bidSize) : '—');
    this.set('ask', q ? withSize(q.ask, q.askSize) : '—');
    this.set('spread', q ? formatPrice(spreadOf(q.bid, q.ask, p), p, loc) : '—');
    this.set('open', formatPrice(q?.open, p, loc));
    this.set('high', formatPrice(q?.high, p, loc));
    this.set('low', formatPrice(q?.low, p, loc));
    this.set('prevClose', formatPrice(q?.prevClose, p, loc));
    this.set(
      'volume',
      q ? `${formatVolume(q.volume, loc)} (last ${formatVolume(q.size, loc)})` : '—',
    );
    this.set('age', q ? `${formatAge(now - q.ts)} ago` : '—');
  }

  private set(key: Field, text: string): void {
    if (this.text.get(key) === text) return;
    this.text.set(key, text);
    this.values.get(key)!.textContent = text;
  }
}
