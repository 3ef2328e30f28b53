// Smoothness under a busy feed: frames per second and long tasks with 100 streaming rows.
// Figures are logged, not asserted (timings on a shared machine are no test); what is asserted is
// that nothing was lost and nothing went wrong.
/// <reference lib="dom" />
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { PREFS_KEY } from '../../client/src/preferences';
import type { Instrument } from '../../src/contracts';
import {
  chromiumAvailable,
  launchBrowser,
  pageStats,
  startServer,
  type BrowserServer,
  type TestBrowser,
} from '../support/browser';

const run = chromiumAvailable() ? describe : describe.skip;
const TICK_RATE = 2000;
const MEASURE_MS = 5000;
/** The watchlist size: 100 instruments of the real catalog. */
const ROWS = 100;

interface FrameFigures {
  fps: number;
  frames: number;
  worstFrameMs: number;
  /** Frames that took longer than 1.5 x 16.7 ms, i.e. a visibly dropped frame. */
  slowFrames: number;
  longTasks: number;
  longestTaskMs: number;
}

/** Counts animation frames and long tasks in the page for `ms`. */
function measureFrames(page: Page, ms: number): Promise<FrameFigures> {
  return page.evaluate(
    (duration) =>
      new Promise<FrameFigures>((resolve) => {
        const tasks: number[] = [];
        const obs = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) tasks.push(e.duration);
        });
        obs.observe({ type: 'longtask', buffered: false });
        let frames = 0;
        let worst = 0;
        let slow = 0;
        let start = 0;
        let prev = 0;
        const step = (t: number) => {
          if (!start) {
            start = prev = t;
          } else {
            frames++;
            const dt = t - prev;
            if (dt > worst) worst = dt;
            if (dt > 25) slow++;
            prev = t;
          }
          if (t - start < duration) requestAnimationFrame(step);
          else {
            obs.disconnect();
            resolve({
              fps: (frames * 1000) / (t - start),
              frames,
              worstFrameMs: worst,
              slowFrames: slow,
              longTasks: tasks.length,
              longestTaskMs: tasks.length ? Math.max(...tasks) : 0,
            });
          }
        };
        requestAnimationFrame(step);
      }),
    ms,
  );
}

/** The machine is shared: the figures mean little without its load beside them. */
function load(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cpus().length} cores`;
}

function round(f: FrameFigures) {
  return {
    ...f,
    fps: Math.round(f.fps * 10) / 10,
    worstFrameMs: Math.round(f.worstFrameMs),
    longestTaskMs: Math.round(f.longestTaskMs),
  };
}

run(`Dashboard at ${TICK_RATE} ticks/s`, () => {
  let server: BrowserServer;
  let browser: TestBrowser;
  let watchlist: string[];

  beforeAll(async () => {
    server = await startServer({ TICK_RATE: String(TICK_RATE) });
    const res = await fetch(`${server.url}/api/instruments`);
    const catalog = ((await res.json()) as { instruments: Instrument[] }).instruments;
    watchlist = catalog.slice(0, ROWS).map((i) => i.symbol);
    expect(watchlist).toHaveLength(ROWS);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  async function openWithWatchlist(query: string): Promise<Page> {
    const page = browser.page;
    await page.addInitScript(
      ({ key, symbols }) => {
        if (!sessionStorage.getItem('seeded')) {
          sessionStorage.setItem('seeded', '1');
          localStorage.setItem(
            key,
            JSON.stringify({ watchlist: symbols, selected: symbols[0], interval: '1m' }),
          );
        }
      },
      { key: PREFS_KEY, symbols: watchlist },
    );
    await page.goto(`${server.url}/${query}`);
    await page.waitForSelector('#badge[data-state="live"]');
    await page.waitForFunction(
      (n) => document.querySelectorAll('#watchlist tbody tr[data-symbol]').length === n,
      watchlist.length,
    );
    // Let start-up (history, sparklines) settle before measuring.
    await page.waitForTimeout(2000);
    return page;
  }

  it.each([
    ['conflated watchlist (as shipped)', ''],
    ['every tick of every symbol (?stream=full)', '?stream=full'],
  ])(`stays smooth with ${ROWS} instruments of the catalog: %s`, async (label, query) => {
    const page = await openWithWatchlist(query);
    const before = await pageStats(page);
    const figures = round(await measureFrames(page, MEASURE_MS));
    const after = await pageStats(page);
    const ticksPerSecond = Math.round(((after.ticks - before.ticks) * 1000) / MEASURE_MS);
    console.log(
      `[perf] ${label}: ${watchlist.length} rows, feed ${TICK_RATE} ticks/s, page applied ` +
        `${ticksPerSecond} ticks/s, render frames ${after.frames - before.frames}; ` +
        JSON.stringify(figures) +
        `; tick→screen p50 ${Math.round(after.latency.p50)} ms, p95 ${Math.round(after.latency.p95)} ms; ` +
        load(),
    );
    expect(after.ticks).toBeGreaterThan(before.ticks);
    expect(after.gaps).toBe(0);
    expect(after.connection).toBe('live');
    expect(figures.frames).toBeGreaterThan(0);
    expect(browser.errors).toEqual([]);
  });

  // The page's benchmark mode: the same store, frame loop and views, fed by a generator in the
  // page instead of the socket, so the rendering is measured apart from the socket and JSON
  // parsing. It conflates per symbol as the server does for the watchlist (the selected symbol
  // gets every tick), or with ?stream=full delivers all 2,000 ticks/s.
  it.each([
    ['conflated as shipped', ''],
    ['every tick', '&stream=full'],
  ])('stays smooth with 100 synthetic rows at 2,000 ticks/s: %s', async (label, extra) => {
    const page = browser.page;
    await page.goto(`${server.url}/?bench=100&rate=${TICK_RATE}${extra}`);
    await page.waitForFunction(
      () => document.querySelectorAll('#watchlist tbody tr[data-symbol]').length === 100,
    );
    expect(await page.textContent('#message')).toMatch(/Benchmark mode/);
    await page.waitForTimeout(2000);
    const before = await pageStats(page);
    const figures = round(await measureFrames(page, MEASURE_MS));
    const after = await pageStats(page);
    const ticksPerSecond = Math.round(((after.ticks - before.ticks) * 1000) / MEASURE_MS);
    console.log(
      `[perf] synthetic, ${label}: 100 rows, generator ${TICK_RATE} ticks/s, page applied ` +
        `${ticksPerSecond} ticks/s, render frames ${after.frames - before.frames}; ` +
        `${JSON.stringify(figures)}; ${load()}`,
    );
    expect(after.gaps).toBe(0);
    expect(after.ticks).toBeGreaterThan(before.ticks);
    expect(browser.errors).toEqual([]);
  });
});
