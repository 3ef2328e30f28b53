import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { logLevels, setupApp } from './app.setup';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';

function configOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function bootstrap(): Promise<void> {
  const config = configOrExit();
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    logger: logLevels(config.logLevel),
  });
  await setupApp(app);
  await app.listen(config.port, config.host);
  const url = (await app.getUrl()).replace(/\/\/(\[::1?\]|0\.0\.0\.0|127\.0\.0\.1)/, '//localhost');
  process.stdout.write(
    `Tickerboard is running: dashboard ${url}/ , API ${url}/api , docs ${url}/api/docs\n`,
  );
}

void bootstrap();
