// The Content-Security-Policy the server sends lets the dashboard and the API docs work whole:
// Chromium reports no violation and no console error while each page loads and runs.
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

/** Violations the page has reported since it loaded (collected by an init script). */
function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
}

run('Content-Security-Policy in Chromium', () => {
  let server: BrowserServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startServer({ TICK_RATE: '400' });
    browser = await launchBrowser();
    await browser.context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) =>
        seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
      );
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  beforeEach(() => {
    browser.errors.length = 0;
  });

  it('sends the policy with the dashboard', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('runs the dashboard with no violation: scripts, styles, chart, live socket', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/`);
    await page.waitForSelector('#watchlist tbody tr[data-symbol]');
    await page.waitForFunction(() => {
      const w = window as unknown as { tickerboard?: { stats(): { ticks: number } } };
      return (w.tickerboard?.stats().ticks ?? 0) > 0;
    });
    await page.waitForSelector('#chart canvas');
    const stats = await pageStats(page);
    expect(stats.connection).toBe('live');
    expect(await violations(page)).toEqual([]);
    expect(browser.errors).toEqual([]);
  });

  it('runs Swagger UI at /api/docs with no violation', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/api/docs`);
    await page.waitForSelector('.swagger-ui .opblock');
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain(
      'Tickerboard API',
    );
    expect(await violations(page)).toEqual([]);
    expect(browser.errors).toEqual([]);
  });

  it('does block what the policy forbids: an injected inline script', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/`);
    await page.waitForSelector('#watchlist tbody tr[data-symbol]');
    const ran = await page.evaluate(async () => {
      const w = window as unknown as { injected?: boolean };
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.body.append(script);
      await new Promise((r) => setTimeout(r, 100));
      return w.injected === true;
    });
    expect(ran).toBe(false);
    expect((await violations(page)).join()).toMatch(/script-src/);
  });
});
