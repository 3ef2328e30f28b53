// The seam between a source of prices (the simulator today, a real provider later) and Tickerboard.
import type { Tick } from '../contracts';

/**
 * `mid`, when the feed has one, is its exact state after this tick where the tick only rounds it
 * (the simulator's unrounded mid). The cluster carries it on the bus, so that the node that takes
 * the feed over continues the model exactly; see FeedSeqLimits.mids.
 */
export type TickListener = (tick: Tick, mid?: number) => void;

/** How far a starting feed's seqs go: where each symbol continues, and how far it may go. */
export interface FeedSeqLimits {
  /**
   * Per symbol, a seq to continue after when it is above the last tick's: seqs reserved by a run
   * that crashed may have been seen by clients, so they are skipped, never issued again.
   */
  after?: ReadonlyMap<string, number>;
  /**
   * Per symbol, the highest seq the feed may emit until allow() raises it; a symbol not in the
   * map emits nothing until then. Without this map the feed has no limit.
   */
  allowed?: ReadonlyMap<string, number>;
  /**
   * Per symbol, the exact mid the model continues from after `last` (carried on the cluster's
   * bus); without it the model continues from the last tick's (bid + ask) / 2.
   */
  mids?: ReadonlyMap<string, number>;
}

export abstract class PriceFeed {
  /**
   * Starts emitting ticks. `last` holds each symbol's last stored tick, so that the feed
   * continues its price and `seq` from there (no jump, no reused seq); `limits` may move the
   * seq further on and bound it.
   */
  abstract start(last: ReadonlyMap<string, Tick>, limits?: FeedSeqLimits): void;
  abstract stop(): void;
  /**
   * Lets a started symbol emit up to `throughSeq` (never lowers its limit). A symbol that reached
   * its limit pauses, and continues with the next seq once allowed further.
   */
  abstract allow(symbol: string, throughSeq: number): void;
  /** Registers a listener for every tick; returns its unsubscribe function. */
  abstract subscribe(listener: TickListener): () => void;
}
