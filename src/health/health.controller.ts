import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Registry } from 'prom-client';
import { MarketDataIngest } from '../market-data/market-data.ingest';
import { StreamingGateway } from '../streaming/streaming.gateway';
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
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOperation({ summary: 'Prometheus metrics: heap, event-loop delay, clients, ticks, frames' })
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
