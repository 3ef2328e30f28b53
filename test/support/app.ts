// Starts the real Tickerboard app on an ephemeral port for e2e specs.
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { AppModule } from '../../src/app.module';
import { createHttpAdapter, setupApp } from '../../src/app.setup';
import { Clock } from '../../src/common/clock';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/contracts';
import { CATALOG } from '../../src/instruments/catalog';
import { PriceFeed } from '../../src/market-data/price-feed';
import { FakePriceFeed } from '../../src/market-data/price-feed.fake';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  port: number;
  config: AppConfig;
  dataDir: string;
  close(): Promise<void>;
}

/** Real time minus a lag that only the test shortens: lets a spec lay down past seconds at once. */
export class LaggingClock extends Clock {
  constructor(private lagMs = 0) {
    super();
  }
  now(): number {
    return Date.now() - this.lagMs;
  }
  /** Moves this clock `ms` towards real time, never past it. */
  advance(ms: number): void {
    this.lagMs = Math.max(0, this.lagMs - ms);
  }
  get lag(): number {
    return this.lagMs;
  }
}

/**
 * Real time, `factor` times faster from the moment it is made: given to the app, the simulator
 * lays down `factor` seconds of market (ticks, candle buckets, conflation windows) per second.
 */
export class FastClock extends Clock {
  private readonly origin = Date.now();
  constructor(readonly factor: number) {
    super();
  }
  now(): number {
    return this.origin + Math.floor((Date.now() - this.origin) * this.factor);
  }
}

/** An app on the FakePriceFeed: nothing ticks until the spec says so. */
export interface FakeFeedApp extends TestApp {
  feed: FakePriceFeed;
  /** The app's clock, which the feed stamps ticks with. */
  clock: LaggingClock;
  /**
   * Lays down the `clock.lag` ms the clock is behind real time, `stepMs` at a time, calling
   * `each()` at every step (by default one tick of every instrument); the clock is real time after.
   */
  catchUp(stepMs?: number, each?: () => void): void;
}

export interface StartOptions {
  /** Run on a FakePriceFeed instead of the simulator, with the clock `lagMs` behind real time. */
  fakeFeed: { lagMs?: number } | true;
}

export interface ClockOptions {
  /** The app's clock (the simulator's included) instead of the system's, e.g. a FastClock. */
  clock?: Clock;
}

/**
 * Env overrides are read exactly as the server reads its environment. PORT defaults to 0 (a free
 * port); a given DATA_DIR is kept on close, so a server can be restarted on it.
 */
export async function startApp(
  env: Record<string, string>,
  options: StartOptions,
): Promise<FakeFeedApp>;
export async function startApp(
  env?: Record<string, string>,
  options?: ClockOptions,
): Promise<TestApp>;
export async function startApp(
  env: Record<string, string> = {},
  options?: StartOptions | ClockOptions,
): Promise<TestApp | FakeFeedApp> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'tickerboard-e2e-'));
  const config = loadConfig({
    PORT: '0',
    CLIENT: 'off',
    BACKFILL: 'false',
    TICK_RATE: '400',
    LOG_LEVEL: 'error',
    DATA_DIR: dataDir,
    ...env,
  });
  let builder = Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config);
  let fake: Pick<FakeFeedApp, 'feed' | 'clock' | 'catchUp'> | undefined;
  if (options && 'clock' in options && options.clock) {
    builder = builder.overrideProvider(Clock).useValue(options.clock);
  }
  if (options && 'fakeFeed' in options) {
    const lagMs = options.fakeFeed === true ? 0 : (options.fakeFeed.lagMs ?? 0);
    const clock = new LaggingClock(lagMs);
    const feed = new FakePriceFeed(CATALOG, clock);
    const catchUp = (stepMs = 100, each = () => void feed.tickAll()) => {
      while (clock.lag > 0) {
        each();
        clock.advance(stepMs);
      }
      each();
    };
    fake = { feed, clock, catchUp };
    builder = builder
      .overrideProvider(Clock)
      .useValue(clock)
      .overrideProvider(PriceFeed)
      .useValue(feed);
  }
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), {
    logger: ['error'],
  });
  await setupApp(app);
  await app.listen(config.port, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    ...fake,
    app,
    url,
    port: Number(new URL(url).port),
    config,
    dataDir,
    close: async () => {
      await app.close();
      if (!env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function connect(url: string, opts: Parameters<typeof io>[1] = {}): Promise<TestSocket> {
  const socket: TestSocket = io(url, { transports: ['websocket'], forceNew: true, ...opts });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Resolves when `predicate` holds, polling every 10 ms, or rejects after `ms`. */
export async function waitFor(
  predicate: () => boolean,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
