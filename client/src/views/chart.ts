// The chart: candlesticks with volume underneath. Render only; the chart panel decides what to show.
import {
  CandlestickSeries,
  ColorType,
  createChart,
  HistogramSeries,
  TickMarkType,
  type CandlestickData,
  type HistogramData,
  type IChartApi,
  type ISeriesApi,
  type LogicalRange,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Candle, Instrument, Interval } from '../../../src/contracts';
import { formatCrosshairTime, formatTickMark, type TickMark } from '../format';

export interface ChartColors {
  background: string;
  text: string;
  grid: string;
  up: string;
  down: string;
  upVolume: string;
  downVolume: string;
}

const MARKS: Record<TickMarkType, TickMark> = {
  [TickMarkType.Year]: 'year',
  [TickMarkType.Month]: 'month',
  [TickMarkType.DayOfMonth]: 'day',
  [TickMarkType.Time]: 'time',
  [TickMarkType.TimeWithSeconds]: 'seconds',
};

/** Bars left of the visible range below which older history is requested. */
const LOAD_MORE_WITHIN = 15;

function seconds(t: Time): number {
  return typeof t === 'number' ? t : 0;
}

export class ChartView {
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private colors: ChartColors;
  private withSeconds = false;
  private lastTime = -Infinity;
  private count = 0;
  private readonly onRange: (range: LogicalRange | null) => void;

  constructor(
    private readonly host: HTMLElement,
    colors: ChartColors,
    onNeedOlder: () => void,
    locale?: string,
    timeZone?: string,
  ) {
    this.colors = colors;
    this.chart = createChart(host, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: colors.background },
        textColor: colors.text,
        attributionLogo: true,
      },
      grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
      rightPriceScale: { borderVisible: false },
      timeScale: {
        borderVisible: false,
        timeVisible: true,
        secondsVisible: false,
        rightOffset: 4,
        // Data stays UTC; only the labels are in the browser's zone.
        tickMarkFormatter: (time: Time, type: TickMarkType) =>
          formatTickMark(seconds(time) * 1000, MARKS[type], locale, timeZone),
      },
      localization: {
        locale,
        timeFormatter: (time: Time) =>
          formatCrosshairTime(seconds(time) * 1000, this.withSeconds, locale, timeZone),
      },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {
      upColor: colors.up,
      downColor: colors.down,
      wickUpColor: colors.up,
      wickDownColor: colors.down,
      borderVisible: false,
    });
    this.candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.26 } });
    this.volume = this.chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    this.chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    this.onRange = (range) => {
      if (range && range.from < LOAD_MORE_WITHIN) onNeedOlder();
    };
    this.chart.timeScale().subscribeVisibleLogicalRangeChange(this.onRange);
  }

  /** Prepares for another instrument or interval: price format, time labels, no bars. */
  reset(inst: Instrument, interval: Interval): void {
    this.withSeconds = interval === '1s';
    this.candles.applyOptions({
      priceFormat: { type: 'price', precision: inst.pricePrecision, minMove: inst.tickSize },
    });
    this.chart.applyOptions({
      timeScale: { secondsVisible: this.withSeconds, timeVisible: interval !== '1d' },
    });
    this.host.dataset.symbol = inst.symbol;
    this.host.dataset.interval = interval;
    this.host.setAttribute('aria-label', `${inst.symbol} ${interval} candlesticks with volume`);
    this.setData([]);
  }

  /**
   * History. With `frontDelta` (bars prepended, or the oldest dropped) the view moves by as many
   * bars, so the trader keeps seeing the same ones.
   */
  setData(list: readonly Candle[], frontDelta = 0): void {
    const ts = this.chart.timeScale();
    const before = frontDelta ? ts.getVisibleLogicalRange() : null;
    // At the live edge the chart keeps its distance from the last bar by itself; a range set here
    // would only be applied at the next paint, by when newer bars may have pushed past it.
    const live = before !== null && before.to >= this.count - 1;
    this.candles.setData(list.map((c) => this.bar(c)));
    this.volume.setData(list.map((c) => this.vol(c)));
    this.lastTime = list.length ? list[list.length - 1].t : -Infinity;
    this.count = list.length;
    if (before && !live) {
      ts.setVisibleLogicalRange({ from: before.from + frontDelta, to: before.to + frontDelta });
    }
    this.mark(list[list.length - 1], list.length);
  }

  /** The live candle. Older than the last bar is refused here too: the library would throw. */
  update(c: Candle): void {
    if (c.t < this.lastTime) return;
    this.candles.update(this.bar(c));
    this.volume.update(this.vol(c));
    if (c.t > this.lastTime) this.count++;
    this.lastTime = c.t;
    this.mark(c, this.count);
  }

  firstVisible(): number | null {
    return this.count ? (this.chart.timeScale().getVisibleLogicalRange()?.from ?? null) : null;
  }

  setColors(colors: ChartColors): void {
    this.colors = colors;
    this.chart.applyOptions({
      layout: { background: { type: ColorType.Solid, color: colors.background } },
      grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
    });
    this.chart.applyOptions({ layout: { textColor: colors.text } });
    this.candles.applyOptions({
      upColor: colors.up,
      downColor: colors.down,
      wickUpColor: colors.up,
      wickDownColor: colors.down,
    });
  }

  destroy(): void {
    this.chart.timeScale().unsubscribeVisibleLogicalRangeChange(this.onRange);
    this.chart.remove();
  }

  private bar(c: Candle): CandlestickData<Time> {
    return { time: (c.t / 1000) as UTCTimestamp, open: c.o, high: c.h, low: c.l, close: c.c };
  }

  private vol(c: Candle): HistogramData<Time> {
    return {
      time: (c.t / 1000) as UTCTimestamp,
      value: c.v,
      color: c.c >= c.o ? this.colors.upVolume : this.colors.downVolume,
    };
  }

  /** What is drawn, readable without pixels (tests, support). */
  private mark(last: Candle | undefined, count: number): void {
    this.host.dataset.bars = String(count);
    this.host.dataset.lastT = last ? String(last.t) : '';
    this.host.dataset.lastC = last ? String(last.c) : '';
  }
}
