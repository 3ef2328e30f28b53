import type { Candle, Interval, LiveCandle } from '../../src/contracts';
import type { CandleQuery, MarketApi } from './api';
import { BAR_CAP } from './candles';
import { ChartPanel, type CandleSink } from './chart-panel';
import { inst, T0 } from './test-fixtures';

const SEC = 1000;

function candle(t: number, close = 100): Candle {
  return { t, o: close, h: close, l: close, c: close, v: 1, n: 1 };
}

function live(t: number, close = 100): LiveCandle {
  return { ...candle(t, close), symbol: 'AAPL', interval: '1s', closed: false };
}

/** The chart as the panel sees it: what it was given, and a view the spec scrolls. */
class FakeChart implements CandleSink {
  bars: Candle[] = [];
  setDataCalls: Array<{ length: number; frontDelta?: number }> = [];
  /** Logical index of the first bar in view, null: at the live edge (the last 100 bars). */
  scrolledTo: number | null = null;

  reset(): void {
    this.bars = [];
  }
  setData(list: readonly Candle[], frontDelta?: number): void {
    this.bars = [...list];
    this.setDataCalls.push({ length: list.length, frontDelta });
    if (frontDelta && this.scrolledTo !== null) this.scrolledTo += frontDelta;
  }
  update(c: Candle): void {
    const last = this.bars[this.bars.length - 1];
    if (last && last.t === c.t) this.bars[this.bars.length - 1] = c;
    else this.bars.push(c);
  }
  firstVisible(): number | null {
    if (!this.bars.length) return null;
    return this.scrolledTo ?? Math.max(0, this.bars.length - 100);
  }
}

function api(
  history: Candle[],
  older: Candle[] = [],
): Pick<MarketApi, 'candles'> & {
  queries: CandleQuery[];
} {
  const queries: CandleQuery[] = [];
  return {
    queries,
    candles: (_s: string, _i: Interval, q: CandleQuery = {}) => {
      queries.push(q);
      return Promise.resolve(q.to === undefined ? history : older);
    },
  };
}

async function shown(chart: FakeChart, history: Candle[], older: Candle[] = []) {
  const rest = api(history, older);
  const sut = new ChartPanel(chart, rest, () => undefined);
  sut.show(inst('AAPL'), '1s');
  await new Promise((r) => setTimeout(r, 0));
  return { sut, rest };
}

describe('ChartPanel over a long session', () => {
  it('keeps the 1s chart within its cap through an hour of live candles', async () => {
    const chart = new FakeChart();
    const history = Array.from({ length: 500 }, (_, i) => candle(T0 + i * SEC));
    const { sut } = await shown(chart, history);
    let most = 0;
    for (let i = 500; i < 500 + 3_600; i++) {
      sut.live([live(T0 + i * SEC)]);
      most = Math.max(most, chart.bars.length);
    }
    expect(most).toBeLessThanOrEqual(BAR_CAP.max);
    expect(chart.bars.length).toBeGreaterThanOrEqual(BAR_CAP.keep);
    // Every bar drawn is in order, one per second, ending at the newest.
    const ts = chart.bars.map((b) => b.t);
    expect(ts[ts.length - 1]).toBe(T0 + 4_099 * SEC);
    expect(ts.every((t, i) => i === 0 || t - ts[i - 1] === SEC)).toBe(true);
    // Replaced in batches, not per bar: about once per (max - keep) bars.
    const trims = chart.setDataCalls.filter((c) => (c.frontDelta ?? 0) < 0);
    expect(trims.length).toBeLessThanOrEqual(Math.ceil(4_100 / (BAR_CAP.max - BAR_CAP.keep)));
  });

  it('does not trim the bars the trader scrolled back to, until the ceiling', async () => {
    const chart = new FakeChart();
    const history = Array.from({ length: 500 }, (_, i) => candle(T0 + i * SEC));
    const { sut } = await shown(chart, history);
    chart.scrolledTo = 10;
    let t = 500;
    while (chart.bars.length < BAR_CAP.ceiling) sut.live([live(T0 + t++ * SEC)]);
    expect(chart.bars[0].t).toBe(T0);
    sut.live([live(T0 + t * SEC)]);
    expect(chart.bars.length).toBe(BAR_CAP.keep);
  });

  it('lets the trader fetch trimmed history again, and drops a page that a trim overtook', async () => {
    const chart = new FakeChart();
    const history = Array.from({ length: 500 }, (_, i) => candle(T0 + i * SEC));
    const older = Array.from({ length: 500 }, (_, i) => candle(T0 - (500 - i) * SEC));
    const { sut, rest } = await shown(chart, history, older);
    for (let i = 500; i <= BAR_CAP.max; i++) sut.live([live(T0 + i * SEC)]);
    expect(chart.bars.length).toBe(BAR_CAP.keep);
    const first = chart.bars[0].t;
    // Scrolling back asks for the bars before the first one kept, though the first page was short.
    const page = Array.from({ length: 500 }, (_, i) => candle(first - (500 - i) * SEC));
    rest.candles = (_s, _i, q = {}) => {
      rest.queries.push(q);
      return Promise.resolve(page);
    };
    await sut.loadOlder();
    expect(rest.queries[rest.queries.length - 1]).toMatchObject({ to: first });
    expect(chart.bars[0].t).toBe(first - 500 * SEC);
    expect(chart.setDataCalls[chart.setDataCalls.length - 1].frontDelta).toBe(500);
  });
});
