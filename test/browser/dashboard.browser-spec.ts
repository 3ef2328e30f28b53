// The dashboard as a trader uses it, in Chromium against the real server.
/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { DEFAULT_WATCHLIST } from '../../src/contracts';
import {
  chromiumAvailable,
  launchBrowser,
  pageStats,
  startServer,
  type BrowserServer,
  type TestBrowser,
} from '../support/browser';

const run = chromiumAvailable() ? describe : describe.skip;

async function rowSymbols(page: Page): Promise<string[]> {
  return page.$$eval('#watchlist tbody tr[data-symbol]', (trs) =>
    trs.map((tr) => (tr as HTMLElement).dataset.symbol!),
  );
}

async function lastPrices(page: Page): Promise<string> {
  return page.$$eval('#watchlist tbody td.col-last', (tds) =>
    tds.map((td) => td.textContent).join('|'),
  );
}

async function chartMark(page: Page) {
  return page.$eval('#chart', (el) => ({ ...(el as HTMLElement).dataset }));
}

run('Dashboard in Chromium', () => {
  let server: BrowserServer;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    server = await startServer({ TICK_RATE: '400' });
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(10_000);
    await page.goto(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  it('opens on the default watchlist, goes live, and prices change', async () => {
    await page.waitForSelector('#badge[data-state="live"]');
    expect(await rowSymbols(page)).toEqual(DEFAULT_WATCHLIST);
    await page.waitForFunction(
      () => !document.querySelector('#watchlist tbody td.col-last')?.textContent?.includes('—'),
    );
    const before = await lastPrices(page);
    await page.waitForFunction(
      (b) =>
        [...document.querySelectorAll('#watchlist tbody td.col-last')]
          .map((td) => td.textContent)
          .join('|') !== b,
      before,
    );
    // Currency and precision: EURUSD in dollars with five decimals.
    const eurusd = await page.textContent('tr[data-symbol="EURUSD"] td.col-last');
    expect(eurusd).toMatch(/^\$\d\.\d{5}$/);
    const detail = await page.textContent('#detail');
    expect(detail).toMatch(/Bid/);
    await page.waitForFunction(() =>
      /tick→screen \d+ ms/.test(document.querySelector('#badge')?.textContent ?? ''),
    );
    const stats = await pageStats(page);
    expect(stats.ticks).toBeGreaterThan(0);
    expect(stats.gaps).toBe(0);
  });

  it('adds a symbol from the keyboard, removes and reorders rows, and remembers it all', async () => {
    await page.click('body');
    await page.keyboard.press('/');
    await page.keyboard.type('tesl');
    await page.waitForSelector('#add-options li[data-symbol="TSLA"][aria-selected="true"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('tr[data-symbol="TSLA"]');
    await page.waitForFunction(
      () =>
        !document.querySelector('tr[data-symbol="TSLA"] td.col-last')?.textContent?.includes('—'),
    );

    await page.click('tr[data-symbol="MSFT"] button[data-act="remove"]');
    await page.waitForSelector('tr[data-symbol="MSFT"]', { state: 'detached' });
    const orderIs = (want: string[]) =>
      page.waitForFunction(
        (w) =>
          [...document.querySelectorAll<HTMLElement>('#watchlist tbody tr[data-symbol]')]
            .map((tr) => tr.dataset.symbol)
            .join() === w,
        want.join(),
      );
    await page.click('tr[data-symbol="TSLA"] button[data-act="up"]');
    await orderIs(['AAPL', 'NVDA', 'SPY', 'EURUSD', 'BTCUSD', 'ETHUSD', 'TSLA', 'XAUUSD']);
    // The moved row keeps focus on its button, so pressing again keeps moving it.
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.dataset.symbol)).toBe(
      'TSLA',
    );
    // Keyboard too: Alt+ArrowUp on the focused row.
    await page.focus('tr[data-symbol="SPY"] .sym');
    await page.keyboard.press('Alt+ArrowUp');
    const expected = ['AAPL', 'SPY', 'NVDA', 'EURUSD', 'BTCUSD', 'ETHUSD', 'TSLA', 'XAUUSD'];
    await orderIs(expected);
    await page.click('tr[data-symbol="TSLA"] .sym');
    await page.waitForFunction(
      () => document.querySelector('#chart')?.getAttribute('data-symbol') === 'TSLA',
    );

    await page.reload();
    await page.waitForSelector('#badge[data-state="live"]');
    expect(await rowSymbols(page)).toEqual(expected);
    expect(await page.getAttribute('tr[data-symbol="TSLA"]', 'aria-current')).toBe('true');
    expect((await chartMark(page)).symbol).toBe('TSLA');
  });

  it('sorts by a column and says so to assistive technology', async () => {
    const sortBy = async (state: string) => {
      await page.click('thead th.col-symbol button.sort');
      await page.waitForSelector(`thead th.col-symbol${state}`);
    };
    await sortBy('[aria-sort="ascending"]');
    const sorted = await rowSymbols(page);
    expect(sorted).toEqual([...sorted].sort());
    await sortBy('[aria-sort="descending"]');
    expect(await rowSymbols(page)).toEqual([...sorted].reverse());
    await sortBy(':not([aria-sort])');
    // Back to the trader's own order.
    expect(await rowSymbols(page)).toEqual([
      'AAPL',
      'SPY',
      'NVDA',
      'EURUSD',
      'BTCUSD',
      'ETHUSD',
      'TSLA',
      'XAUUSD',
    ]);
  });

  it('charts REST history and moves the last candle live', async () => {
    await page.click('tr[data-symbol="BTCUSD"] .sym');
    const history = page.waitForResponse(
      (r) => r.url().includes('/api/instruments/BTCUSD/candles') && r.url().includes('interval=1s'),
    );
    await page.click('#intervals button[data-interval="1s"]');
    const body = (await (await history).json()) as { candles: unknown[] };
    expect(body.candles.length).toBeGreaterThan(1);
    await page.waitForFunction(
      (n) => Number(document.querySelector<HTMLElement>('#chart')?.dataset.bars) >= n,
      body.candles.length,
    );
    const first = await chartMark(page);
    await page.waitForFunction(
      (f) => {
        const d = document.querySelector<HTMLElement>('#chart')!.dataset;
        return d.lastT !== f.lastT || d.lastC !== f.lastC;
      },
      first,
      { timeout: 10_000 },
    );
    expect(await page.isHidden('#chart-note')).toBe(true);
  });

  it('switches the interval, reloads the chart, and keeps the choice', async () => {
    const history = page.waitForResponse(
      (r) => r.url().includes('/candles') && r.url().includes('interval=5m'),
    );
    await page.click('#intervals button[data-interval="5m"]');
    expect((await history).ok()).toBe(true);
    expect(await page.getAttribute('#intervals button[data-interval="5m"]', 'aria-pressed')).toBe(
      'true',
    );
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#chart')?.dataset.interval === '5m',
    );
    const mark = await chartMark(page);
    expect(Number(mark.lastT) % 300_000).toBe(0);
    await page.reload();
    await page.waitForSelector('#intervals button[data-interval="5m"][aria-pressed="true"]');
  });

  it('logged no console errors while doing all that', () => {
    expect(browser.errors).toEqual([]);
  });
});

run('Dashboard when requests fail', () => {
  let server: BrowserServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startServer({ TICK_RATE: '200' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  it('explains a failed instrument list, retries, and recovers', async () => {
    const { page } = browser;
    await page.route('**/api/instruments', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'Maintenance',
          code: 'INTERNAL',
        }),
      }),
    );
    await page.goto(server.url);
    await page.waitForSelector('#message:not([hidden])');
    expect(await page.textContent('#message')).toMatch(
      /Could not load the instrument list: Maintenance \(503\)\. Retrying in \d+ s\./,
    );
    expect(await page.textContent('#watchlist')).toMatch(/Loading instruments/);
    await page.unroute('**/api/instruments');
    await page.click('#message button');
    await page.waitForSelector('#message', { state: 'hidden' });
    await page.waitForSelector('tr[data-symbol="AAPL"]');
  });

  it('says so in the chart panel when history cannot be loaded', async () => {
    const { page } = browser;
    await page.route('**/candles?*', (route) => route.fulfill({ status: 500, body: 'oops' }));
    await page.click('#intervals button[data-interval="15m"]');
    // The note says "Loading…" first; wait until the failed request has replaced it.
    await page.waitForFunction(
      () => !document.querySelector('#chart-note')?.textContent?.startsWith('Loading'),
    );
    await page.waitForSelector('#chart-note:not([hidden])');
    expect(await page.textContent('#chart-note')).toMatch(/Could not load \w+ 15m candles/);
    await page.unroute('**/candles?*');
  });

  it('logged only the failures it was served', () => {
    const unexpected = browser.errors.filter(
      (e) => !/Failed to load resource: the server responded with a status of (503|500)/.test(e),
    );
    expect(unexpected).toEqual([]);
  });
});

/**
 * A first start writes the whole backfill (5.8 million candles) before it listens: 20-50 s on two
 * idle cores, more on busy ones. That is set-up, not what the test judges, so it has a budget of
 * its own.
 */
const BACKFILL_START_MS = 180_000;

run('Dashboard chart history', () => {
  let starting: Promise<BrowserServer> | undefined;
  let server: BrowserServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    // The backfill gives weeks of minute candles: enough to scroll back through.
    starting = startServer({ TICK_RATE: '200', BACKFILL: 'true' });
    server = await starting;
    browser = await launchBrowser();
  }, BACKFILL_START_MS);

  afterAll(async () => {
    await browser?.close();
    // Also when set-up failed or timed out: a server still starting is stopped once it is up, so
    // that nothing outlives the run.
    const started = await starting?.catch(() => undefined);
    await started?.stop();
    started?.cleanup();
  }, BACKFILL_START_MS);

  it('loads older candles as the trader scrolls back', async () => {
    const { page } = browser;
    page.setDefaultTimeout(15_000);
    await page.goto(server.url);
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#chart')?.dataset.bars === '500',
    );
    let olderUrl: string | null = null;
    page.on('request', (r) => {
      if (/\/candles\?interval=1m&to=\d+&limit=500/.test(r.url())) olderUrl ??= r.url();
    });
    const box = (await page.locator('#chart').boundingBox())!;
    const y = box.y + box.height / 2;
    // Dragging the chart to the right scrolls back in time; near the oldest loaded bar the chart
    // asks for the page before it.
    for (let i = 0; i < 40 && !olderUrl; i++) {
      await page.mouse.move(box.x + 20, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width - 80, y, { steps: 8 });
      await page.mouse.up();
    }
    expect(olderUrl).not.toBeNull();
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('#chart')?.dataset.bars) >= 1000,
    );
    const res = await fetch(`${server.url}/api/instruments/AAPL/candles?interval=1m&limit=1`);
    const newest = ((await res.json()) as { candles: Array<{ t: number }> }).candles[0].t;
    const to = Number(new URL(olderUrl!).searchParams.get('to'));
    expect(to).toBeLessThanOrEqual(newest - 499 * 60_000);
    expect(browser.errors).toEqual([]);
  });
});
