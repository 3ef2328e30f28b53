import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Registry } from 'prom-client';
import { MarketDataService } from '../market-data/market-data.service';
import { StreamingGateway } from '../streaming/streaming.gateway';
import { createRegistry } from './metrics';

@ApiTags('health')
@Controller()
export class HealthController {
  private readonly registry: Registry;

  constructor(
    private readonly marketData: MarketDataService,
    private readonly gateway: StreamingGateway,
  ) {
    this.registry = createRegistry({
      feed: () => marketData.stats(),
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
