// Keeps the chart, its heading, the interval buttons and the candle subscription on the store's
// selected symbol and interval.
import type { Interval } from '../../src/contracts';
import type { ChartPanel } from './chart-panel';
import type { LiveFeed } from './live-feed';
import type { DashboardStore } from './store';
import type { ChartTitleView } from './views/chart-title';
import type { IntervalPicker } from './views/interval-picker';

export interface ChartSelectionDeps {
  store: DashboardStore;
  panel: Pick<ChartPanel, 'show' | 'clear'>;
  feed: Pick<LiveFeed, 'setFocus' | 'setCandles'>;
  title: ChartTitleView;
  picker: IntervalPicker;
}

export class ChartSelection {
  private shown: { symbol: string | null; interval: Interval | null } = {
    symbol: null,
    interval: null,
  };

  constructor(private readonly deps: ChartSelectionDeps) {}

  /** Brings everything in line with the store; cheap when nothing changed. */
  apply(): void {
    const { store, panel, feed, title, picker } = this.deps;
    const symbol = store.selected;
    const interval = store.interval;
    const inst = symbol ? store.catalog.get(symbol) : undefined;
    picker.render(interval);
    if (!store.hasCatalog) return;
    const charted = inst ? inst.symbol : null;
    feed.setFocus(charted);
    if (this.shown.symbol === charted && this.shown.interval === interval) return;
    this.shown = { symbol: charted, interval };
    title.render(inst ?? null);
    if (!inst) {
      panel.clear();
      feed.setCandles(null);
      return;
    }
    panel.show(inst, interval);
    feed.setCandles({ symbol: inst.symbol, interval });
  }
}
