// Who may read /api/metrics and where: on PORT (behind METRICS_TOKEN when set), or only on its
// own METRICS_PORT, a second small HTTP server that serves nothing else.
import {
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { UnauthorizedError } from '../common/errors';
import { bearerToken } from '../access/credentials.verifier';
import { toErrorBody } from '../common/http-exception.filter';
import { AppConfig } from '../config/app-config';
import { MarketDataSource } from '../market-data/market-data.source';
import { FanOutPump } from '../streaming/fan-out.pump';
import { StreamingGateway } from '../streaming/streaming.gateway';
import { createRegistry } from './metrics';

export const METRICS_PATH = '/api/metrics';
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4';

/** Whether `header` is `Bearer <token>`; constant time in the token's bytes. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = bearerToken(header);
  if (given === undefined) return false;
  // Digests have equal lengths whatever was sent, so the comparison leaks neither the token nor its length.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

@Injectable()
export class MetricsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private readonly registry: Registry;
  private server: Server | undefined;

  constructor(
    source: MarketDataSource,
    gateway: StreamingGateway,
    pump: FanOutPump,
    private readonly config: AppConfig,
  ) {
    this.registry = createRegistry(
      {
        feed: () => source.stats(),
        stream: () => gateway.stats(),
      },
      [pump.windowWrite],
    );
    source.countClientsWith(() => gateway.stats().connectedClients);
  }

  /** Whether PORT serves /api/metrics: not when it has a port of its own. */
  get onMainPort(): boolean {
    return this.config.metricsPort === undefined;
  }

  /** The port of the separate metrics server once it listens. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  /** Throws what a request on PORT gets when it may not read the metrics. */
  authorize(authorization: string | undefined): void {
    if (!this.onMainPort) throw new NotFoundException(`Cannot GET ${METRICS_PATH}`);
    this.checkToken(authorization);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.onMainPort) return;
    const server = createServer(
      (req, res) => void this.serve(req.method, req.url, req.headers.authorization, res),
    );
    // Scrapers send small requests quickly: anything slower is cut off.
    server.headersTimeout = 5_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`Metrics on port ${this.port} (${METRICS_PATH}), not on PORT`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private checkToken(authorization: string | undefined): void {
    const token = this.config.metricsToken;
    if (token !== undefined && !bearerMatches(authorization, token)) {
      throw new UnauthorizedError('/api/metrics needs Authorization: Bearer <METRICS_TOKEN>');
    }
  }

  private async serve(
    method: string | undefined,
    url: string | undefined,
    authorization: string | undefined,
    res: import('node:http').ServerResponse,
  ): Promise<void> {
    try {
      const path = (url ?? '').split('?')[0].replace(/\/$/, '');
      if ((method !== 'GET' && method !== 'HEAD') || path !== METRICS_PATH) {
        throw new NotFoundException(`Cannot ${method} ${path}`);
      }
      this.checkToken(authorization);
      const body = await this.metrics();
      res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' });
      res.end(method === 'HEAD' ? undefined : body);
    } catch (err) {
      const body = toErrorBody(err);
      res.writeHead(body.statusCode, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    }
  }
}
