// Drives the fan-out engine: market-data ticks and candles in, a flush per batch window, and a
// last flush with a shutdown notice before the server goes away.
import {
  type BeforeApplicationShutdown,
  Injectable,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { MarketDataBus } from '../market-data/market-data.bus';
import { FanOut } from './fan-out';

@Injectable()
export class FanOutPump implements OnModuleInit, BeforeApplicationShutdown, OnModuleDestroy {
  private readonly unsubscribers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly fanOut: FanOut,
    private readonly bus: MarketDataBus,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const fanOut = this.fanOut;
    if (this.config.batchMs > 0) {
      this.unsubscribers.push(this.bus.onTick((tick) => fanOut.onTick(tick)));
      this.timer = setInterval(() => fanOut.flush(this.clock.now()), this.config.batchMs);
    } else {
      this.unsubscribers.push(
        this.bus.onTick((tick) => {
          fanOut.onTick(tick);
          fanOut.flush(this.clock.now());
        }),
      );
      // Conflated subscriptions still need a clock when no tick arrives.
      this.timer = setInterval(() => fanOut.flush(this.clock.now()), 25);
    }
    this.unsubscribers.push(this.bus.onCandles((candles) => fanOut.onCandles(candles)));
    this.unsubscribers.push(this.bus.onNotice((notice) => fanOut.broadcastNotice(notice)));
  }

  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.fanOut.flush(this.clock.now());
    this.fanOut.broadcastNotice({
      type: 'shutdown',
      message: 'The server is shutting down; reconnect and resume from your last seq',
    });
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }
}
