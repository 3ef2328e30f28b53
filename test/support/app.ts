// Starts the real Tickerboard app on an ephemeral port for e2e specs.
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { AppModule } from '../../src/app.module';
import { createHttpAdapter, setupApp } from '../../src/app.setup';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/contracts';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  port: number;
  config: AppConfig;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Env overrides are read exactly as the server reads its environment. PORT defaults to 0 (a free
 * port); a given DATA_DIR is kept on close, so a server can be restarted on it.
 */
export async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
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
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(), {
    logger: ['error'],
  });
  await setupApp(app);
  await app.listen(config.port, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
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
