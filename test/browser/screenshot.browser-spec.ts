// Saves docs/dashboard.png (1440 x 900, after data has arrived). Runs only with SCREENSHOT=1:
// `SCREENSHOT=1 npm run test:browser -- screenshot`.
/// <reference lib="dom" />
import { join } from 'node:path';
import { PREFS_KEY } from '../../client/src/preferences';
import { DEFAULTS } from '../../src/config/defaults';
import { chromiumAvailable, launchBrowser, startServer } from '../support/browser';

const run = process.env.SCREENSHOT && chromiumAvailable() ? describe : describe.skip;
const OUT = join(process.cwd(), 'docs', 'dashboard.png');

run('README screenshot', () => {
  it('captures the dashboard with history and live prices', async () => {
    // With the backfill the chart opens on a full day of deterministic history; prices move at
    // the rate a default server runs at.
    const server = await startServer({ TICK_RATE: String(DEFAULTS.tickRate), BACKFILL: 'true' });
    const browser = await launchBrowser({ width: 1440, height: 900 }, 'dark');
    try {
      const { page } = browser;
      await page.addInitScript(
        (key) =>
          localStorage.setItem(
            key,
            JSON.stringify({
              watchlist: [
                'AAPL',
                'MSFT',
                'NVDA',
                'TSLA',
                'SPY',
                'QQQ',
                'EURUSD',
                'USDJPY',
                'BTCUSD',
                'ETHUSD',
                'XAUUSD',
                'DAX',
              ],
              selected: 'BTCUSD',
              interval: '5m',
            }),
          ),
        PREFS_KEY,
      );
      await page.goto(server.url);
      await page.waitForSelector('#badge[data-state="live"]');
      await page.waitForFunction(
        () => Number(document.querySelector<HTMLElement>('#chart')?.dataset.bars) > 50,
      );
      // Sparklines redraw on their own schedule; give every row a few seconds of ticks.
      await page.waitForTimeout(6000);
      await page.screenshot({ path: OUT });
      expect(browser.errors).toEqual([]);
    } finally {
      await browser.close();
      await server.stop();
      server.cleanup();
    }
  });
});
