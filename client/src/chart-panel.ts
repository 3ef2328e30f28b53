// Feeds the chart: history over REST, the open candle from the stream, older pages on scroll-back.
import type { Candle, Instrument, Interval, LiveCandle } from '../../src/contracts';
import { ApiError, type MarketApi } from './api';
import { barsToTrim, CandleBook } from './candles';

/** What the chart view must offer the panel. */
export interface CandleSink {
  reset(inst: Instrument, interval: Interval): void;
  /**
   * Replaces the bars. `frontDelta`: bars added (+) or dropped (-) before those drawn, the view
   * then moves with them to stay on the same bars; without it the view is the chart's default.
   */
  setData(list: readonly Candle[], frontDelta?: number): void;
  update(c: Candle): void;
  /** Logical index of the leftmost bar in view, or null when nothing is drawn. */
  firstVisible(): number | null;
}

export const HISTORY_LIMIT = 500;
export const OLDER_PAGE = 500;

export type ChartNote = { kind: 'info' | 'error' | 'loading'; text: string } | null;

export class ChartPanel {
  private readonly book = new CandleBook();
  private inst: Instrument | null = null;
  private interval: Interval | null = null;
  /** Bumped on every (re)load, so a late answer for an earlier selection is dropped. */
  private token = 0;
  private loading = false;
  private loadingOlder = false;
  private buffered: Candle[] = [];
  private liveOk: boolean | null = null;
  private liveReason = '';
  private historyError: string | null = null;

  constructor(
    private readonly sink: CandleSink,
    private readonly api: Pick<MarketApi, 'candles'>,
    private readonly note: (note: ChartNote) => void,
  ) {}

  get symbol(): string | null {
    return this.inst?.symbol ?? null;
  }

  /** Shows `inst` at `interval`, loading its recent history. */
  show(inst: Instrument, interval: Interval): void {
    if (this.inst?.symbol === inst.symbol && this.interval === interval) return;
    this.inst = inst;
    this.interval = interval;
    this.liveOk = null;
    this.sink.reset(inst, interval);
    void this.load();
  }

  clear(): void {
    this.inst = null;
    this.interval = null;
    this.token++;
    this.book.reset();
    this.note({ kind: 'info', text: 'Add a symbol to the watchlist to see its chart.' });
  }

  /** Reloads the recent history (after a reconnect: the candle stream cannot be resumed). */
  reload(): void {
    if (this.inst) void this.load();
  }

  private async load(): Promise<void> {
    const inst = this.inst;
    const interval = this.interval;
    if (!inst || !interval) return;
    const token = ++this.token;
    this.loading = true;
    this.buffered = [];
    this.historyError = null;
    this.refreshNote();
    try {
      const candles = await this.api.candles(inst.symbol, interval, { limit: HISTORY_LIMIT });
      if (token !== this.token) return;
      this.book.reset(candles);
      if (candles.length < HISTORY_LIMIT) this.book.exhausted = true;
      for (const c of this.buffered) this.book.applyLive(c);
      this.buffered = [];
      this.sink.setData(this.book.candles);
    } catch (err) {
      if (token !== this.token) return;
      this.historyError =
        err instanceof ApiError ? err.message : `Could not load ${inst.symbol} history.`;
      // Live candles can still draw the chart from now on.
      this.book.reset();
      for (const c of this.buffered) this.book.applyLive(c);
      this.buffered = [];
      this.sink.setData(this.book.candles);
    } finally {
      if (token === this.token) {
        this.loading = false;
        this.refreshNote();
      }
    }
  }

  /** Called when the trader scrolls near the oldest bar. */
  async loadOlder(): Promise<void> {
    const inst = this.inst;
    const interval = this.interval;
    const first = this.book.first;
    if (!inst || !interval || !first || this.loading || this.loadingOlder || this.book.exhausted) {
      return;
    }
    const token = this.token;
    this.loadingOlder = true;
    try {
      const older = await this.api.candles(inst.symbol, interval, {
        to: first.t,
        limit: OLDER_PAGE,
      });
      // A trim while this was in flight moved the first bar: the page would leave a hole.
      if (token !== this.token || this.book.first?.t !== first.t) return;
      const added = this.book.prepend(older, OLDER_PAGE);
      if (added > 0) this.sink.setData(this.book.candles, added);
    } catch (err) {
      if (token !== this.token) return;
      this.note({
        kind: 'error',
        text: err instanceof ApiError ? err.message : 'Could not load older history.',
      });
    } finally {
      if (token === this.token) this.loadingOlder = false;
    }
  }

  /** Candles from the stream; only those of the shown symbol and interval are drawn. */
  live(candles: readonly LiveCandle[]): void {
    if (!this.inst || !this.interval) return;
    for (const c of candles) {
      if (c.symbol !== this.inst.symbol || c.interval !== this.interval) continue;
      if (this.loading) {
        this.buffered.push(c);
        continue;
      }
      const result = this.book.applyLive(c);
      if (result === 'ignored') continue;
      if (result === 'appended') this.trim();
      this.sink.update(c);
    }
  }

  /**
   * Bounded over a long session: past the cap the oldest bars go and the view stays on what it
   * showed. The bar just appended is left to update(), so the chart follows the live edge as usual.
   */
  private trim(): void {
    const drop = barsToTrim(this.book.candles.length, this.sink.firstVisible());
    if (drop === 0) return;
    this.book.dropOldest(drop);
    this.sink.setData(this.book.candles.slice(0, -1), -drop);
  }

  /** Whether the stream delivers this selection's live candle. */
  liveStatus(symbol: string, interval: Interval, ok: boolean, reason = ''): void {
    if (symbol !== this.inst?.symbol || interval !== this.interval) return;
    this.liveOk = ok;
    this.liveReason = reason;
    this.refreshNote();
  }

  private refreshNote(): void {
    const sym = this.inst?.symbol ?? '';
    if (this.loading) {
      this.note({ kind: 'loading', text: `Loading ${sym} ${this.interval} history…` });
    } else if (this.historyError) {
      const live = this.liveOk ? ' Live candles continue from now.' : '';
      this.note({ kind: 'error', text: `${this.historyError}${live}` });
    } else if (this.liveOk === false) {
      this.note({
        kind: 'error',
        text: `Live candle updates unavailable (${this.liveReason}); the chart shows history only.`,
      });
    } else if (this.book.candles.length === 0 && this.liveOk !== null) {
      this.note({ kind: 'info', text: `No ${this.interval} candles for ${sym} yet.` });
    } else {
      this.note(null);
    }
  }
}
