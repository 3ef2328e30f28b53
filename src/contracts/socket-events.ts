// The Socket.IO protocol: event names and the typed event maps used by gateway, client and tests.
import type { CompactFrame, TickEncoding } from './compact-ticks';
import type { Interval, LiveCandle, Snapshot, Tick, ErrorCode } from './market';

export type Channel = 'ticks' | 'candles';
export type StreamMode = 'full' | 'conflated';

export interface SubscribeRequest {
  symbols: string[];
  channel?: Channel;
  interval?: Interval;
  mode?: StreamMode;
  throttleMs?: number;
  /** Last `seq` the client holds per symbol; full-mode ticks only. */
  resume?: Record<string, number>;
  /**
   * Ticks channel: 'json' (default) sends `ticks` events of Tick objects; 'compact' sends `t`
   * events (CompactFrame, decoded by CompactTickDecoder in compact-ticks.ts).
   */
  encoding?: TickEncoding;
}

export interface UnsubscribeRequest {
  symbols: string[];
  channel?: Channel;
  interval?: Interval;
}

export interface Subscription {
  symbol: string;
  channel: Channel;
  interval?: Interval;
  mode: StreamMode;
  throttleMs?: number;
  /** Present only for compact ticks: JSON is the default and stays unmarked. */
  encoding?: 'compact';
}

export interface AckError {
  ok: false;
  error: { code: ErrorCode; message: string; details?: unknown };
}

export interface SubscribeOk {
  ok: true;
  subscriptions: Subscription[];
  /** Ticks channel: snapshots of the newly subscribed symbols. Candles channel: their open candles. */
  snapshot: Array<Snapshot | LiveCandle>;
  /**
   * Symbols whose missed ticks cannot be replayed (no longer kept, a gap over MAX_REPLAY_TICKS, past
   * the per-minute replay budget, or the connection is conflated for slowness): reload them over REST.
   */
  unresumable?: string[];
  /** Cluster mode: the node serving this connection (its NODE_ID). */
  node?: string;
}

export interface SubscriptionsOk {
  ok: true;
  subscriptions: Subscription[];
}

export type SubscribeAck = SubscribeOk | AckError;
export type SubscriptionsAck = SubscriptionsOk | AckError;

/** The server slowed a connection down: these full subscriptions are now conflated. */
export interface ConflatedNotice {
  type: 'conflated';
  reason: 'slow_consumer';
  message: string;
  symbols: string[];
  throttleMs: number;
}

/** The server is going away (restart, deploy): reconnect and resume from the last seq. */
export interface ShutdownNotice {
  type: 'shutdown';
  message: string;
}

/** The server is about to close this connection, and why. */
export interface DisconnectingNotice {
  type: 'disconnecting';
  reason: 'flood' | 'slow_consumer' | 'credential_expired';
  message: string;
}

/**
 * Cluster mode: the tick stream has stopped (the bus is unreachable, or no node runs the feed
 * yet); the subscriptions stay, and ticks continue with the next seq once it is back.
 */
export interface StalledNotice {
  type: 'stalled';
  message: string;
}

/** Cluster mode: the tick stream flows again after a `stalled` notice. */
export interface RecoveredNotice {
  type: 'recovered';
  message: string;
}

/** Out-of-band news on the `notice` event; `type` tells them apart. */
export type Notice =
  ConflatedNotice | ShutdownNotice | DisconnectingNotice | StalledNotice | RecoveredNotice;

export const EVENTS = {
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  subscriptions: 'subscriptions',
  ticks: 'ticks',
  /** Ticks of compact subscriptions (docs/PROTOCOL.md, "Compact ticks"). */
  compactTicks: 't',
  candles: 'candles',
  notice: 'notice',
} as const;

export interface ServerToClientEvents {
  ticks: (ticks: Tick[]) => void;
  t: (frame: CompactFrame) => void;
  candles: (candles: LiveCandle[]) => void;
  notice: (notice: Notice) => void;
}

export interface ClientToServerEvents {
  subscribe: (req: SubscribeRequest, ack: (res: SubscribeAck) => void) => void;
  unsubscribe: (req: UnsubscribeRequest, ack: (res: SubscriptionsAck) => void) => void;
  subscriptions: (ack: (res: SubscriptionsAck) => void) => void;
}

/** Key of one subscription (a channel of one symbol, and its interval for candles) on a connection. */
export function subscriptionKey(channel: Channel, symbol: string, interval?: Interval): string {
  return channel === 'ticks' ? `t:${symbol}` : `c:${interval}:${symbol}`;
}
