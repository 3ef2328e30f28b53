// The connection badge across a server restart on the same port, and the resume that follows.
/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import {
  chromiumAvailable,
  launchBrowser,
  pageStats,
  startServer,
  type BrowserServer,
  type TestBrowser,
} from '../support/browser';

const run = chromiumAvailable() ? describe : describe.skip;

/** What Chromium itself logs while the server is down: refused connections, not app errors. */
const OUTAGE_NOISE =
  /WebSocket connection to .* failed|Failed to load resource: net::ERR_CONNECTION_REFUSED/;

function badge(page: Page): Promise<string | null> {
  return page.getAttribute('#badge', 'data-state');
}

run('Dashboard across a server restart', () => {
  let server: BrowserServer;
  /** The first server owns the data directory the restarted one continues from. */
  let first: BrowserServer;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    server = first = await startServer({ TICK_RATE: '400' });
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(15_000);
    await page.goto(server.url);
    await page.waitForSelector('#badge[data-state="live"]');
  });

  afterAll(async () => {
    await browser?.close();
    // Stopped already if the spec failed while the server was down.
    await server?.stop().catch(() => undefined);
    first?.cleanup();
  });

  it('shows reconnecting while the server is down, then resumes without a gap and goes live', async () => {
    await page.waitForFunction(
      () =>
        (window as unknown as { tickerboard: { stats(): { ticks: number } } }).tickerboard.stats()
          .ticks > 50,
    );
    const errorsBefore = browser.errors.length;
    const { port, dataDir } = server;

    await server.stop();
    await page.waitForSelector('#badge[data-state="reconnecting"]');
    expect(await page.textContent('#badge')).toMatch(/Reconnecting/);
    const frozen = await pageStats(page);
    await page.waitForTimeout(1500);
    expect((await pageStats(page)).ticks).toBe(frozen.ticks);

    const sent: string[] = [];
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => sent.push(String(f.payload)));
    });
    const chartReload = page.waitForResponse((r) => r.url().includes('/candles?'), {
      timeout: 20_000,
    });
    server = await startServer({ TICK_RATE: '400', PORT: String(port), DATA_DIR: dataDir });
    await page.waitForFunction(
      () =>
        ['resumed', 'live'].includes(
          document.querySelector('#badge')?.getAttribute('data-state') ?? '',
        ),
      undefined,
      { timeout: 20_000 },
    );
    // The candle stream has no resume: the chart reloads its history over REST.
    expect((await chartReload).ok()).toBe(true);
    await page.waitForSelector('#badge[data-state="live"]', { timeout: 20_000 });
    expect(await badge(page)).toBe('live');

    await page.waitForFunction(
      (n) =>
        (window as unknown as { tickerboard: { stats(): { ticks: number } } }).tickerboard.stats()
          .ticks >
        n + 50,
      frozen.ticks,
    );
    // It asked to resume the selected (full-mode) symbol from the last seq it held.
    const resumeFrame = sent.find((f) => f.includes('"subscribe"') && f.includes('"resume"'));
    expect(resumeFrame).toMatch(/"mode":"full"/);
    const [, held] = /"resume":\{"AAPL":(\d+)\}/.exec(resumeFrame ?? '') ?? [];
    expect(Number(held)).toBeGreaterThan(0);
    const after = await pageStats(page);
    // The selected symbol streams in full and was resumed by seq: not one tick missing.
    expect(after.gaps).toBe(0);
    expect(after.duplicates).toBe(0);

    const appErrors = browser.errors.slice(errorsBefore).filter((e) => !OUTAGE_NOISE.test(e));
    expect(appErrors).toEqual([]);
    expect(browser.errors.slice(0, errorsBefore)).toEqual([]);
  });
});
