// The path from market data to the gateways. In-process today; a Redis-backed bus can replace it
// so that several gateway nodes serve one feed.
import type { LiveCandle, Tick } from '../contracts';

export type Unsubscribe = () => void;

export abstract class MarketDataBus {
  abstract publishTick(tick: Tick): void;
  abstract publishCandles(candles: LiveCandle[]): void;
  abstract onTick(listener: (tick: Tick) => void): Unsubscribe;
  abstract onCandles(listener: (candles: LiveCandle[]) => void): Unsubscribe;
}

export class InProcessBus extends MarketDataBus {
  private readonly tickListeners: Array<(tick: Tick) => void> = [];
  private readonly candleListeners: Array<(candles: LiveCandle[]) => void> = [];

  publishTick(tick: Tick): void {
    const listeners = this.tickListeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](tick);
  }

  publishCandles(candles: LiveCandle[]): void {
    for (const listener of this.candleListeners) listener(candles);
  }

  onTick(listener: (tick: Tick) => void): Unsubscribe {
    this.tickListeners.push(listener);
    return () => remove(this.tickListeners, listener);
  }

  onCandles(listener: (candles: LiveCandle[]) => void): Unsubscribe {
    this.candleListeners.push(listener);
    return () => remove(this.candleListeners, listener);
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
