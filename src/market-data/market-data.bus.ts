// The path from market data to this node's gateway, in-process. In cluster mode each node fills it
// from its own consumer of the JetStream tick stream (src/cluster), so the gateway is the same.
import type { LiveCandle, Notice, Tick } from '../contracts';

export type Unsubscribe = () => void;

export abstract class MarketDataBus {
  abstract publishTick(tick: Tick): void;
  abstract publishCandles(candles: LiveCandle[]): void;
  abstract onTick(listener: (tick: Tick) => void): Unsubscribe;
  abstract onCandles(listener: (candles: LiveCandle[]) => void): Unsubscribe;
  /** News for every connected client (the stream stalled or recovered). */
  abstract publishNotice(notice: Notice): void;
  abstract onNotice(listener: (notice: Notice) => void): Unsubscribe;
}

export class InProcessBus extends MarketDataBus {
  private readonly tickListeners: Array<(tick: Tick) => void> = [];
  private readonly candleListeners: Array<(candles: LiveCandle[]) => void> = [];
  private readonly noticeListeners: Array<(notice: Notice) => void> = [];

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

  publishNotice(notice: Notice): void {
    for (const listener of this.noticeListeners) listener(notice);
  }

  onNotice(listener: (notice: Notice) => void): Unsubscribe {
    this.noticeListeners.push(listener);
    return () => remove(this.noticeListeners, listener);
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
