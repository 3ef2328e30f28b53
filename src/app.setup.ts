// Everything main.ts and the e2e tests both apply to a Nest app: prefix, OpenAPI, dashboard serving.
import { Logger } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import { setupAccess } from './access/rest.access';
import { AppConfig } from './config/app-config';
import { httpErrorHandling, httpTimeouts, registerSecurityHeaders } from './http/http-hardening';
import { fastifyLogOptions, returnRequestIds } from './logging/logger';
import { LeanIoAdapter } from './streaming/lean-io.adapter';

export const API_PREFIX = 'api';

/**
 * Fastify serves the HTTP side: about twice the requests per core of Express under Nest, which
 * the history API's tail latency needs (bench/RESULTS.md, REST). A trailing slash is ignored,
 * as Express did. Timeouts come from REQUEST_TIMEOUT_MS (defaults without a config); request
 * lines go to `logger` when given (main.ts), nowhere otherwise (tests).
 */
export function createHttpAdapter(config?: AppConfig, logger?: PinoLogger): FastifyAdapter {
  return new FastifyAdapter({
    routerOptions: { ignoreTrailingSlash: true },
    // req.ip from X-Forwarded-For only behind that many proxies (TRUST_PROXY), else the peer.
    trustProxy: (_address: string, hop: number) => hop < (config?.trustProxy ?? 0),
    ...httpTimeouts(config ?? new AppConfig()),
    ...httpErrorHandling,
    ...fastifyLogOptions(logger),
  });
}

export async function setupApp(app: NestFastifyApplication): Promise<void> {
  const config = app.get(AppConfig);
  app.useWebSocketAdapter(new LeanIoAdapter(app));
  app.setGlobalPrefix(API_PREFIX);
  app.enableShutdownHooks();
  // Headers and request ids first: a request the access hooks refuse carries them too.
  await registerSecurityHeaders(app);
  returnRequestIds(app.getHttpAdapter().getInstance());
  await setupAccess(app); // CORS and Origin, credentials, REST rate limit
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tickerboard API')
      .setDescription('Instruments and historical quotes: ticks, OHLCV candles, snapshots.')
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup(`${API_PREFIX}/docs`, app, document, {
    jsonDocumentUrl: `${API_PREFIX}/docs-json`,
  });
  await setupClient(app, config);
}

const CLIENT_ROOT = resolve('client');
const CLIENT_DIST = join(CLIENT_ROOT, 'dist');

async function setupClient(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const logger = new Logger('Dashboard');
  // Vite only when asked for (npm run start:dev): it serves files from disk and is not for exposure.
  const mode = config.client === 'auto' ? 'static' : config.client;
  if (mode === 'off') return;
  if (mode === 'static') {
    if (!existsSync(join(CLIENT_DIST, 'index.html'))) {
      logger.warn(
        `No built dashboard in ${CLIENT_DIST}: run "npm run build:client", or "npm run start:dev" to serve client/ through Vite.`,
      );
      return;
    }
    app.useStaticAssets({ root: CLIENT_DIST, prefix: '/', index: 'index.html', maxAge: '1h' });
    return;
  }
  // Development: Vite serves and transforms client/ on request, so client edits need no rebuild.
  const { createServer } = await import('vite');
  const vite = await createServer({
    configFile: join(CLIENT_ROOT, 'vite.config.mts'),
    root: CLIENT_ROOT,
    server: { middlewareMode: true, hmr: false },
    appType: 'spa',
    logLevel: 'warn',
  });
  // The API and docs stay Nest's: only other paths reach Vite.
  const apiPath = `/${API_PREFIX}`;
  app.use((req: { url: string }, res: unknown, next: () => void) =>
    req.url === apiPath || req.url.startsWith(`${apiPath}/`)
      ? next()
      : vite.middlewares(req as never, res as never, next),
  );
  app.getHttpServer().on('close', () => void vite.close());
  logger.log('Serving the dashboard from client/ through Vite (development mode)');
}
