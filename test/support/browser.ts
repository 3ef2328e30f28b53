// Browser specs: the real server (restartable on the same port) and Debian's Chromium via playwright-core.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startApp, type ClockOptions } from './app';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface BrowserServer {
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server; the data directory stays so a restart can continue from it. */
  stop(): Promise<void>;
  /** Removes the data directory (after the last stop). */
  cleanup(): void;
}

/**
 * Starts the real app serving the built dashboard (client/dist, built by the specs' globalSetup:
 * Vite's dev middleware cannot load inside Jest's VM modules). Given `PORT`, a spec can stop the
 * server and start it again where the page expects it. `options.clock` replaces the app's clock
 * (a FastClock runs the market faster than real time).
 */
export async function startServer(
  env: Record<string, string> = {},
  options: ClockOptions = {},
): Promise<BrowserServer> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'tickerboard-browser-'));
  const server = await startApp({ CLIENT: 'static', ...env, DATA_DIR: dataDir }, options);
  return {
    url: server.url,
    port: server.port,
    dataDir,
    stop: server.close,
    cleanup: () => {
      if (!env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Whether browser specs can run. Without Chromium they are skipped with the install command,
 * except in CI, where a missing browser is an error.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const hint = `Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH).`;
  if (process.env.CI) throw new Error(hint);
  console.warn(`${hint} Skipping the browser specs.`);
  return false;
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** console.error messages and uncaught page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(
  viewport = { width: 1440, height: 900 },
  colorScheme: 'dark' | 'light' = 'dark',
): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'tickerboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    colorScheme,
    timezoneId: 'Europe/Paris',
    locale: 'en-GB',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The dashboard's own counters (window.tickerboard.stats()). */
export interface PageStats {
  ticks: number;
  duplicates: number;
  gaps: number;
  snapshots: number;
  frames: number;
  connection: string;
  latency: { p50: number; p95: number; n: number };
  watchlist: string[];
}

export function pageStats(page: Page): Promise<PageStats> {
  return page.evaluate(() =>
    (window as unknown as { tickerboard: { stats(): PageStats } }).tickerboard.stats(),
  );
}
