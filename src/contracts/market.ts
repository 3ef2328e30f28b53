// Market-data shapes shared by the server, the dashboard, the tests and the benchmarks.

export const ASSET_CLASSES = ['equity', 'etf', 'index', 'fx', 'crypto', 'commodity'] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

export interface Instrument {
  /** Upper case, unique. */
  symbol: string;
  name: string;
  assetClass: AssetClass;
  /** ISO 4217 code (or the quote asset for crypto). */
  currency: string;
  exchange: string;
  /** Smallest price increment; every price is a multiple of it. */
  tickSize: number;
  /** Decimal places shown for prices. */
  pricePrecision: number;
}

/** One price update. `seq` starts at 1 and rises by exactly 1 per symbol, for the life of the store. */
export interface Tick {
  symbol: string;
  seq: number;
  /** UTC epoch milliseconds. */
  ts: number;
  bid: number;
  ask: number;
  /** Quantity quoted at the bid and at the ask. */
  bidSize: number;
  askSize: number;
  last: number;
  /** Size of the trade that set `last`. */
  size: number;
  /** Cumulative traded volume for the current UTC day. */
  volume: number;
}

/** Latest state of an instrument for the UTC day: the last tick plus day statistics. */
export interface Snapshot extends Tick {
  open: number;
  high: number;
  low: number;
  /** Close of the previous UTC day. */
  prevClose: number;
  change: number;
  changePct: number;
}

/** An OHLCV bar. `t` is the bucket start in UTC epoch ms, aligned to the interval; `n` is the tick count. */
export interface Candle {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
}

export const INTERVALS = ['1s', '1m', '5m', '15m', '1h', '1d'] as const;
export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Readonly<Record<Interval, number>> = {
  '1s': 1_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

export function isInterval(value: unknown): value is Interval {
  return typeof value === 'string' && (INTERVALS as readonly string[]).includes(value);
}

/** Start of the bucket of `interval` that contains `ts` (UTC). */
export function bucketStart(ts: number, interval: Interval): number {
  const ms = INTERVAL_MS[interval];
  return ts - (((ts % ms) + ms) % ms);
}

/** Start of the UTC day that contains `ts`: the day of snapshots' open, high, low and volume. */
export function utcDay(ts: number): number {
  return bucketStart(ts, '1d');
}

/** The dashboard's first-visit watchlist. */
export const DEFAULT_WATCHLIST: readonly string[] = [
  'AAPL',
  'MSFT',
  'NVDA',
  'SPY',
  'EURUSD',
  'BTCUSD',
  'ETHUSD',
  'XAUUSD',
];

/** A candle as pushed on the `candles` channel. `closed` is true on the one final message of a bucket. */
export interface LiveCandle extends Candle {
  symbol: string;
  interval: Interval;
  closed: boolean;
}

/** The error body used by REST and by socket acknowledgements alike. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code?: ErrorCode;
  details?: unknown;
}

export const ERROR_CODES = [
  'INVALID_PAYLOAD',
  'UNKNOWN_SYMBOL',
  'LIMIT_EXCEEDED',
  'RATE_LIMITED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'STORE_UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A node of a Tickerboard deployment, as GET /api/cluster lists it. */
export interface ClusterNode {
  id: string;
  /** Connected sockets. */
  clients: number;
  /** Stream messages this node has still to apply (0: caught up). */
  lag: number;
  /** Whether the node may run the feed (FEED=auto). */
  feed: boolean;
  /** Whether it is ready for traffic (caught up, not draining). */
  ready: boolean;
  /** When it last reported itself, UTC epoch ms. */
  seenAt: number;
}

/** GET /api/cluster: the node that answered, the feed's leader and every live node. */
export interface ClusterView {
  mode: 'single' | 'cluster';
  /** The node that answered (NODE_ID). */
  node: string;
  /** The node that runs the feed now, or null while none does (a failover in progress). */
  leader: string | null;
  nodes: ClusterNode[];
}
