import { Controller, Get, Headers, HttpStatus, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiNotFoundResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Readiness } from '../common/readiness';
import { AppConfig } from '../config/app-config';
import type { ClusterView } from '../contracts';
import { MarketDataSource } from '../market-data/market-data.source';
import { ClusterViewDto, HealthDto, ReadyDto } from './dto/health.response';
import { ApiErrorDto } from '../common/dto/api-error.response';
import { METRICS_CONTENT_TYPE, MetricsService } from './metrics.service';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly source: MarketDataSource,
    private readonly readiness: Readiness,
    private readonly config: AppConfig,
    private readonly metricsService: MetricsService,
  ) {}

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
      'Readiness for a load balancer: 200 once the node has caught up with the stream, 503 (naming why) while it starts, catches up or drains, while the store refuses writes or falls behind, and after an event-loop stall',
  })
  @ApiOkResponse({ type: ReadyDto })
  @ApiServiceUnavailableResponse({ type: ReadyDto })
  ready(@Res({ passthrough: true }) reply: FastifyReply): ReadyDto {
    const { ready, waiting } = this.readiness.status();
    if (!ready) void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ready' : 'not-ready', node: this.config.nodeId, waiting };
  }

  @Get('metrics')
  @ApiOperation({
    summary:
      'Prometheus metrics: heap, event-loop delay, clients, ticks, frames. With METRICS_TOKEN: Authorization: Bearer <token>; with METRICS_PORT: served there only',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4',
    schema: { type: 'string' },
  })
  @ApiUnauthorizedResponse({
    type: ApiErrorDto,
    description: 'UNAUTHORIZED: METRICS_TOKEN is set and the request does not carry it',
  })
  @ApiNotFoundResponse({
    type: ApiErrorDto,
    description: 'METRICS_PORT is set: the metrics are served there',
  })
  async metrics(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    this.metricsService.authorize(authorization);
    const body = await this.metricsService.metrics();
    // Set here, not by @Header: a refused request is answered in JSON.
    void reply.header('Content-Type', METRICS_CONTENT_TYPE);
    return body;
  }
}
