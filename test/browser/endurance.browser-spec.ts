// An hour of streaming, shortened: the dashboard must hold no more DOM nodes, listeners or heap
// after an hour of market than before it, and draw as smoothly.
//
// What is accelerated: the server's clock (a FastClock given to the app in place of the system's)
// runs SPEED times real time, so the simulator stamps SPEED seconds of market per second, the
// candle aggregator closes SPEED 1-second buckets per second (the chart gets an hour of 1s bars,
// 3,600 of them), and the fan-out's conflation windows are in market time too. The hour is the
// feed's hour: the spec waits until the chart's last bar is an hour after the baseline's.
// What is not: the browser. Its clock, animation frames, the dashboard's timers (the 500 ms clock
// tick, the 30 s quote resync, the 4 s announcer), Socket.IO's heartbeats and V8's GC run in real
// time, so an hour's worth of those happens in ~1/SPEED of it; the page sees an hour of market data
// but one real minute of wall-clock work. TICK_RATE counts ticks per market second, so the page
// receives TICK_RATE x SPEED ticks per real second: set so that is about the perf spec's load.
/// <reference lib="dom" />
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { BAR_CAP } from '../../client/src/candles';
import { PREFS_KEY } from '../../client/src/preferences';
import type { Instrument } from '../../src/contracts';
import { FastClock } from '../support/app';
import {
  chromiumAvailable,
  launchBrowser,
  pageStats,
  startServer,
  type BrowserServer,
  type TestBrowser,
} from '../support/browser';
import { growth, PageMetrics, type FrameReading, type PageReading } from '../support/page-metrics';

const run = chromiumAvailable() ? describe : describe.skip;

/** Market seconds per real second. */
const SPEED = 90;
/**
 * Ticks per market second across the catalog (about one per symbol every ten market seconds):
 * the page gets TICK_RATE x SPEED = 900 a real second, under the perf spec's 2,000.
 */
const TICK_RATE = 10;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Market time streamed before the baseline: start-up settles, the chart passes its first trim. */
const WARM_UP = 20 * MINUTE;
const FPS_WINDOW_MS = 3_000;

/**
 * How much more the page may hold after the hour than before it (readings after a forced GC).
 * - elements: the document is the header, 102 rows of fixed cells and the chart's canvases; no
 *   tick, bar or minute adds one. 10 tolerates a transient element (a tooltip); a per-minute
 *   leak adds 60.
 * - nodes: every live node of the renderer, text nodes included (each textContent write replaces
 *   one, and Blink frees the old ones lazily): readings of an idle page vary by a few hundred.
 *   A leak of one node per tick batch would add tens of thousands.
 * - listeners: registered once at start; a listener per reconnect, per render or per tick batch
 *   would add at least one. 4 tolerates a library attaching one lazily.
 * - heap: the chart holds 500 to 1,000 bars whenever it is read (about 1.6 kB each across its two
 *   series, so up to 0.8 MB apart), the sparklines gain 12 five-minute points a row in the hour
 *   (~20 kB); the rest of 1.5 MB is V8's own noise (code, feedback). Without the chart's cap the
 *   hour added 7.7 MB (78 market minutes, 4,629 bars).
 */
const BOUND = { elements: 10, nodes: 500, listeners: 4, heapUsed: 1.5 * 1024 * 1024 };

function load(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cpus().length} cores`;
}

function chartLastT(page: Page): Promise<number> {
  return page.$eval('#chart', (el) => Number((el as HTMLElement).dataset.lastT || 0));
}

function chartBars(page: Page): Promise<number> {
  return page.$eval('#chart', (el) => Number((el as HTMLElement).dataset.bars || 0));
}

/** Waits until the chart's last 1s bar is at or after `t` (market time). */
async function waitForMarket(page: Page, t: number): Promise<void> {
  await page.waitForFunction(
    (until) => Number(document.getElementById('chart')?.dataset.lastT || 0) >= until,
    t,
    { timeout: (5 * (t - (await chartLastT(page)))) / SPEED + 20_000, polling: 250 },
  );
}

run(`Dashboard after an hour of market at ${SPEED}x`, () => {
  let server: BrowserServer;
  let browser: TestBrowser;
  let watchlist: string[];

  beforeAll(async () => {
    server = await startServer({ TICK_RATE: String(TICK_RATE) }, { clock: new FastClock(SPEED) });
    const res = await fetch(`${server.url}/api/instruments`);
    const catalog = ((await res.json()) as { instruments: Instrument[] }).instruments;
    watchlist = catalog.map((i) => i.symbol);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  it('holds no more nodes, listeners or heap after the hour than before it', async () => {
    const page = browser.page;
    await page.addInitScript(
      ({ key, symbols }) =>
        localStorage.setItem(
          key,
          JSON.stringify({ watchlist: symbols, selected: symbols[0], interval: '1s' }),
        ),
      { key: PREFS_KEY, symbols: watchlist },
    );
    await page.goto(server.url);
    await page.waitForSelector('#badge[data-state="live"]');
    await page.waitForFunction(
      (n) => document.querySelectorAll('#watchlist tbody tr[data-symbol]').length === n,
      watchlist.length,
    );
    const metrics = await PageMetrics.attach(page);
    await page.waitForFunction(() => Number(document.getElementById('chart')?.dataset.lastT) > 0);
    const start = await chartLastT(page);

    await waitForMarket(page, start + WARM_UP);
    const fpsBefore: FrameReading = await metrics.frames(FPS_WINDOW_MS);
    const before: PageReading = await metrics.held();
    const barsBefore = await chartBars(page);
    const statsBefore = await pageStats(page);
    const t0 = await chartLastT(page);

    const realStart = Date.now();
    await waitForMarket(page, t0 + HOUR);
    const realMs = Date.now() - realStart;
    const fpsAfter: FrameReading = await metrics.frames(FPS_WINDOW_MS);
    const after: PageReading = await metrics.held();
    const barsAfter = await chartBars(page);
    const statsAfter = await pageStats(page);
    const t1 = await chartLastT(page);
    await metrics.detach();

    const grew = growth(before, after);
    console.log(
      `[endurance] ${((t1 - t0) / MINUTE).toFixed(1)} market minutes in ${(realMs / 1000).toFixed(1)} s; ` +
        `${statsAfter.ticks - statsBefore.ticks} ticks applied, ${watchlist.length} rows, 1s chart ` +
        `${barsBefore} -> ${barsAfter} bars\n` +
        `  before ${JSON.stringify(before)} fps ${fpsBefore.fps.toFixed(1)} (worst frame ${Math.round(fpsBefore.worstFrameMs)} ms)\n` +
        `  after  ${JSON.stringify(after)} fps ${fpsAfter.fps.toFixed(1)} (worst frame ${Math.round(fpsAfter.worstFrameMs)} ms)\n` +
        `  growth ${JSON.stringify(grew)}; ${load()}`,
    );

    expect(t1 - t0).toBeGreaterThanOrEqual(HOUR);
    expect(statsAfter.ticks).toBeGreaterThan(statsBefore.ticks);
    expect(statsAfter.gaps).toBe(0);
    expect(browser.errors).toEqual([]);
    expect(grew.elements).toBeLessThanOrEqual(BOUND.elements);
    expect(grew.nodes).toBeLessThanOrEqual(BOUND.nodes);
    expect(grew.listeners).toBeLessThanOrEqual(BOUND.listeners);
    expect(grew.heapUsed).toBeLessThanOrEqual(BOUND.heapUsed);
    expect(barsAfter).toBeLessThanOrEqual(BAR_CAP.max);
    // fps is reported, not asserted: on two cores shared with other work it moves by a third
    // between two windows of the same page (see docs/DASHBOARD.md).
  }, 300_000);
});
