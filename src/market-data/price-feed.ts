// The seam between a source of prices (the simulator today, a real provider later) and Tickerboard.
import type { Tick } from '../contracts';

export type TickListener = (tick: Tick) => void;

export abstract class PriceFeed {
  /**
   * Starts emitting ticks. `last` holds each symbol's last stored tick, so that the feed
   * continues its price and `seq` from there (no jump, no reused seq).
   */
  abstract start(last: ReadonlyMap<string, Tick>): void;
  abstract stop(): void;
  /** Registers a listener for every tick; returns its unsubscribe function. */
  abstract subscribe(listener: TickListener): () => void;
}
