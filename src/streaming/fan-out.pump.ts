// Drives the fan-out engine: market-data ticks and candles in, a flush per batch window, and a
// last flush with a shutdown notice before the server goes away. A window's frames are written in
// slices of FLUSH_SLICE_MS, the rest on the next turns of the event loop, so that timers, requests
// and control messages are served between slices even with thousands of sockets to write.
import { performance } from 'node:perf_hooks';
import { Histogram } from 'prom-client';
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

/** Longest run of socket writes before the pump lets the event loop do other work. */
export const FLUSH_SLICE_MS = 8;

/** A budget of FLUSH_SLICE_MS from now, for FanOut.flush() and drain(). */
function slice(): () => boolean {
  const until = performance.now() + FLUSH_SLICE_MS;
  return () => performance.now() < until;
}

@Injectable()
export class FanOutPump implements OnModuleInit, BeforeApplicationShutdown, OnModuleDestroy {
  private readonly unsubscribers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  /** A drain of the rest of a window is scheduled. */
  private draining = false;
  private stopped = false;
  /**
   * Per window: from its oldest tick's `ts` to its last frame written, the longest any of its
   * ticks waited in this server. Registered by the metrics module.
   */
  readonly windowWrite = new Histogram({
    name: 'tickerboard_stream_window_write_seconds',
    help: "Per batch window: from its oldest tick's timestamp to the last of its frames written to a socket",
    buckets: [0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
    registers: [],
  });

  constructor(
    private readonly fanOut: FanOut,
    private readonly bus: MarketDataBus,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const fanOut = this.fanOut;
    fanOut.onWindowWritten = (oldestTs) =>
      this.windowWrite.observe(Math.max(0, this.clock.now() - oldestTs) / 1000);
    const flush = (): void => {
      if (fanOut.flush(this.clock.now(), slice())) this.drainLater();
    };
    if (this.config.batchMs > 0) {
      this.unsubscribers.push(this.bus.onTick((tick) => fanOut.onTick(tick)));
      this.timer = setInterval(flush, this.config.batchMs);
    } else {
      this.unsubscribers.push(
        this.bus.onTick((tick) => {
          fanOut.onTick(tick);
          flush();
        }),
      );
      // Conflated subscriptions still need a clock when no tick arrives.
      this.timer = setInterval(flush, 25);
    }
    this.unsubscribers.push(this.bus.onCandles((candles) => fanOut.onCandles(candles)));
    this.unsubscribers.push(this.bus.onNotice((notice) => fanOut.broadcastNotice(notice)));
  }

  /** Writes the rest of a window on the next turn of the loop, a slice at a time. */
  private drainLater(): void {
    if (this.draining) return;
    this.draining = true;
    const step = (): void => {
      if (!this.stopped && this.fanOut.drain(slice())) setImmediate(step);
      else this.draining = false;
    };
    setImmediate(step);
  }

  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    // Whole, without a budget: every socket gets what it was owed before the notice.
    this.fanOut.flush(this.clock.now());
    this.fanOut.broadcastNotice({
      type: 'shutdown',
      message: 'The server is shutting down; reconnect and resume from your last seq',
    });
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }
}
