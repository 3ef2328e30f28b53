// Browser specs: the real server (restartable on the same port) and Debian's Chromium via playwright-core.
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { AppModule } from '../../src/app.module';
import { setupApp } from '../../src/app.setup';
import { AppConfig, loadConfig } from '../../src/config/app-config';

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
 * Vite's dev middleware cannot load inside Jest's VM modules). Unlike test/support/app.ts this
 * listens on `PORT` when given, so a spec can stop the server and start it again where the page
 * expects it.
 */
export async function startServer(env: Record<string, string> = {}): Promise<BrowserServer> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'tickerboard-browser-'));
  const config = loadConfig({
    PORT: '0',
    CLIENT: 'static',
    BACKFILL: 'false',
    TICK_RATE: '400',
    LOG_LEVEL: 'error',
    ...env,
    DATA_DIR: dataDir,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: ['error'] });
  await setupApp(app);
  await app.listen(config.port, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    stop: () => app.close(),
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
