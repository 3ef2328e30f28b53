import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Readiness } from '../common/readiness';
import { AppConfig } from '../config/app-config';
import type { Registry } from 'prom-client';
import type { ClusterView } from '../contracts';
import { MarketDataSource } from '../market-data/market-data.source';
import { StreamingGateway } from '../streaming/streaming.gateway';
import { ClusterViewDto, HealthDto, ReadyDto } from './dto/health.response';
import { createRegistry } from './metrics';

@ApiTags('health')
@Controller()
export class HealthController {
  private readonly registry: Registry;

  constructor(
    private readonly source: MarketDataSource,
    private readonly gateway: StreamingGateway,
    private readonly readiness: Readiness,
    private readonly config: AppConfig,
  ) {
    this.registry = createRegistry({
      feed: () => source.stats(),
      stream: () => gateway.stats(),
    });
    source.countClientsWith(() => gateway.stats().connectedClients);
  }

  @Get('cluster')
  @ApiOperation({
    summary:
      'This node, the node that runs the feed, and every live node with its clients and its lag behind the stream',
  })
  @ApiOkResponse({ type: ClusterViewDto })
  cluster(): Promise<ClusterView> {
    return this.source.cluster();
  }

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: HealthDto })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers (restart it when this fails)' })
  @ApiOkResponse({ type: HealthDto })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({
    summary:
      'Readiness for a load balancer: 200 once the node has caught up with the stream, 503 while it starts, catches up or drains',
  })
  @ApiOkResponse({ type: ReadyDto })
  @ApiServiceUnavailableResponse({ type: ReadyDto })
  ready(@Res({ passthrough: true }) reply: FastifyReply): ReadyDto {
    const { ready, waiting } = this.readiness.status();
    if (!ready) void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ready' : 'not-ready', node: this.config.nodeId, waiting };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOperation({ summary: 'Prometheus metrics: heap, event-loop delay, clients, ticks, frames' })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4',
    schema: { type: 'string' },
  })
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
