import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Registry } from 'prom-client';
import { MarketDataIngest } from '../market-data/market-data.ingest';
import { StreamingGateway } from '../streaming/streaming.gateway';
import { HealthDto } from './dto/health.response';
import { createRegistry } from './metrics';

@ApiTags('health')
@Controller()
export class HealthController {
  private readonly registry: Registry;

  constructor(
    private readonly ingest: MarketDataIngest,
    private readonly gateway: StreamingGateway,
  ) {
    this.registry = createRegistry({
      feed: () => ingest.stats(),
      stream: () => gateway.stats(),
    });
  }

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: HealthDto })
  health(): { status: 'ok' } {
    return { status: 'ok' };
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
