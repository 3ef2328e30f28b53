import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { createHttpAdapter, setupApp } from './app.setup';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { armHardExit } from './http/http-hardening';
import { PinoLoggerService, createPinoLogger } from './logging/logger';
import { StoreError } from './storage/quote-store';
import { createQuoteStore } from './storage/storage.module';

/** Start-up failures a user can fix get one line naming the cause, not a stack trace. */
function exitWith(err: unknown): never {
  if (err instanceof ConfigError || err instanceof StoreError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') {
    process.stderr.write(
      `Port already in use: ${(err as Error).message}. Stop the other server or set PORT.\n`,
    );
    process.exit(1);
  }
  throw err;
}

function configOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    exitWith(err);
  }
}

/**
 * Opens the store once before Nest starts: a corrupt file or an unreachable database is then
 * reported in one line, where Nest's start-up would print a stack trace first.
 */
async function checkStore(config: AppConfig): Promise<void> {
  const store = createQuoteStore(config);
  await store.init();
  await store.close();
}

async function bootstrap(): Promise<void> {
  const config = configOrExit();
  const pino = createPinoLogger(config);
  armHardExit(config.shutdownTimeoutMs, (message) => pino.error(message));
  await checkStore(config);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createHttpAdapter(config, pino),
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(new PinoLoggerService(pino));
  await setupApp(app);
  await app.listen(config.port, config.host);
  const url = (await app.getUrl()).replace(/\/\/(\[::1?\]|0\.0\.0\.0|127\.0\.0\.1)/, '//localhost');
  process.stdout.write(
    `Tickerboard is running: dashboard ${url}/ , API ${url}/api , docs ${url}/api/docs\n`,
  );
}

bootstrap().catch(exitWith);
