// Typed, validated configuration. This is the one place that reads process.env.
import { hostname } from 'node:os';
import { DEFAULTS } from './defaults';

/** A URL, or text holding URLs, as an error or a log line may print it: without passwords. */
export function redactUrl(raw: string): string {
  return raw.replace(/(\/\/[^:/?#@\s]*:)[^@/?#\s]*@/g, '$1***@');
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const CLIENT_MODES = ['auto', 'static', 'vite', 'off'] as const;
export type ClientMode = (typeof CLIENT_MODES)[number];
/** `auto`: this node competes to run the feed; `off`: a pure gateway (REST and sockets). */
export const FEED_MODES = ['auto', 'off'] as const;
export type FeedMode = (typeof FEED_MODES)[number];

export class AppConfig {
  /** HTTP and Socket.IO port; 0 picks a free one. */
  readonly port: number = DEFAULTS.port;
  readonly host: string = '0.0.0.0';
  /** Seed of the market simulator: the same seed gives the same prices. */
  readonly seed: number = DEFAULTS.seed;
  /** Combined ticks per second across the whole catalog. */
  readonly tickRate: number = DEFAULTS.tickRate;
  readonly dataDir: string = './data';
  /** postgres://... selects PostgreSQL; unset or sqlite: uses the embedded SQLite file under dataDir. */
  readonly databaseUrl: string | undefined = undefined;
  readonly logLevel: LogLevel = 'log';
  /** Raw tick retention in hours. */
  readonly tickRetentionHours: number = 24;
  /** How often buffered ticks and candles are written to the store. */
  readonly flushMs: number = DEFAULTS.flushMs;
  /** Skip the first-start history backfill (tests that want an empty store). */
  readonly backfill: boolean = true;
  /** Gateway batch window: at most one `ticks` frame per socket per window; 0 sends per tick. */
  readonly batchMs: number = DEFAULTS.batchMs;
  readonly maxSubscriptions: number = 500;
  /** Control messages (subscribe, unsubscribe, subscriptions) per second per socket. */
  readonly controlRate: number = 20;
  /** Unsent bytes on one socket before it is switched to conflation. */
  readonly slowClientBytes: number = 1_048_576;
  /** How the dashboard is served: built files, Vite middleware (development), or not at all. */
  readonly client: ClientMode = 'auto';
  readonly production: boolean = false;
  /** nats://... selects cluster mode (JetStream bus, PostgreSQL store); unset: one process. */
  readonly natsUrl: string | undefined = undefined;
  /** Cluster mode: whether this node may run the feed. */
  readonly feed: FeedMode = 'auto';
  /** How this node names itself in logs, metrics and /api/cluster; default host:port. */
  readonly nodeId: string = '';
  /** Cluster mode: how long the tick stream keeps ticks (the queue that covers a store outage). */
  readonly streamRetentionMinutes: number = 60;
  /** Cluster mode: replicas of the tick stream and KV buckets this node creates (3 in production). */
  readonly natsReplicas: number = 1;

  // Exposure (docs/SECURITY.md). Each is read here and enforced in one place.
  /** Static API keys; with a JWT setting, REST and the socket need a credential when any is set. */
  readonly apiKeys: readonly string[] = [];
  /** HS256 secret that JWTs are verified with. */
  readonly jwtSecret: string | undefined = undefined;
  /** JWKS document that JWTs are verified with (RS256/ES256/EdDSA keys). */
  readonly jwtJwksUrl: string | undefined = undefined;
  /** Origins that CORS and the WebSocket upgrade accept; empty: the server's own origin and localhost. */
  readonly allowedOrigins: readonly string[] = [];
  /** REST requests per minute per credential (or IP when public); 0 turns the limit off. */
  readonly restRateLimit: number = 1200;
  /** Open sockets per client IP; 0 turns the limit off. */
  readonly wsConnectionsPerIp: number = 50;
  /** Socket handshakes per client IP per 5 minutes; 0 turns the limit off. */
  readonly wsHandshakesPerIp: number = 300;
  /** redis://...: the per-client limits are shared by every node; unset: each node counts its own. */
  readonly redisUrl: string | undefined = undefined;
  /**
   * Proxies in front of the server whose X-Forwarded-For is believed when finding a client's IP
   * (hops: 1 behind one balancer); 0 uses the TCP peer's address.
   */
  readonly trustProxy: number = 0;
  /** Largest gap one resume replays per symbol; a longer one is `unresumable` without a store read. */
  readonly maxReplayTicks: number = 5_000;
  /** Ticks one socket may be replayed per minute; resumes past it are answered `unresumable`. */
  readonly replayTicksPerMinute: number = 50_000;
  /** Unsent bytes past which a socket is disconnected, whatever its subscriptions. */
  readonly maxClientBytes: number = 8_388_608;
  /** Separate port for /api/metrics; unset: served on PORT. */
  readonly metricsPort: number | undefined = undefined;
  /** Bearer token /api/metrics requires when set. */
  readonly metricsToken: string | undefined = undefined;
  /** HMAC key of page cursors; unset: generated once and kept in DATA_DIR. */
  readonly cursorSecret: string | undefined = undefined;
  /** Longest a REST request may take, headers and body included, before it is cut off. */
  readonly requestTimeoutMs: number = 30_000;
  /** Longest a graceful shutdown may take before the process exits anyway. */
  readonly shutdownTimeoutMs: number = 10_000;
  /** PostgreSQL statement_timeout of every query the store runs. */
  readonly statementTimeoutMs: number = 10_000;

  constructor(values: Partial<AppConfig> = {}) {
    Object.assign(this, values);
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim().toLowerCase() as T;
  if (!allowed.includes(value))
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return value;
}

function bool(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL?.trim();
  if (!raw) return undefined;
  if (/^(postgres|postgresql):\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', `is not a valid URL: "${redactUrl(raw)}"`);
    }
    return raw;
  }
  if (/^sqlite:/.test(raw)) return raw;
  throw new ConfigError(
    'DATABASE_URL',
    `must start with postgres:// (or sqlite: for the embedded store), got "${redactUrl(raw)}"`,
  );
}

function natsUrl(env: Env): string | undefined {
  const raw = env.NATS_URL?.trim();
  if (!raw) return undefined;
  for (const part of raw.split(',')) {
    let url: URL;
    try {
      url = new URL(part.trim());
    } catch {
      throw new ConfigError('NATS_URL', `is not a valid URL: "${part.trim()}"`);
    }
    if (!['nats:', 'tls:'].includes(url.protocol))
      throw new ConfigError('NATS_URL', `must start with nats:// or tls://, got "${part.trim()}"`);
  }
  return raw;
}

function list(env: Env, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A secret: at least `min` characters, so that a typo does not make a guessable key. */
function secret(env: Env, name: string, min: number): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (raw.length < min) throw new ConfigError(name, `must be at least ${min} characters long`);
  return raw;
}

function origins(env: Env): string[] | undefined {
  const values = list(env, 'ALLOWED_ORIGINS');
  for (const value of values ?? []) {
    if (value === '*') continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(
        'ALLOWED_ORIGINS',
        `must list origins such as https://example.com, got "${value}"`,
      );
    }
    if (url.origin !== value.replace(/\/$/, ''))
      throw new ConfigError('ALLOWED_ORIGINS', `must list origins without a path, got "${value}"`);
  }
  return values?.map((v) => (v === '*' ? v : new URL(v).origin));
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === 'https:' || url.protocol === 'http:') return raw;
  } catch {
    // reported below
  }
  throw new ConfigError(name, `must be an http(s):// URL, got "${redactUrl(raw)}"`);
}

function redisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL?.trim();
  if (!raw) return undefined;
  if (!/^rediss?:\/\//.test(raw))
    throw new ConfigError(
      'REDIS_URL',
      `must start with redis:// or rediss://, got "${redactUrl(raw)}"`,
    );
  return raw;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const seed = env.SEED?.trim();
  if (seed !== undefined && seed !== '' && !/^\d{1,15}$/.test(seed))
    throw new ConfigError('SEED', `must be a non-negative integer, got "${env.SEED}"`);
  const defaults = new AppConfig();
  const production = env.NODE_ENV === 'production';
  const values: { -readonly [K in keyof AppConfig]?: AppConfig[K] } = {
    port: int(env, 'PORT', 0, 65535),
    host: env.HOST?.trim() || undefined,
    seed: seed ? Number(seed) : undefined,
    tickRate: int(env, 'TICK_RATE', 1, 100_000),
    dataDir: env.DATA_DIR?.trim() || undefined,
    databaseUrl: databaseUrl(env),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS),
    tickRetentionHours: int(env, 'TICK_RETENTION_HOURS', 1, 24 * 365),
    flushMs: int(env, 'FLUSH_MS', 10, 1000),
    backfill: bool(env, 'BACKFILL'),
    batchMs: int(env, 'BATCH_MS', 0, 1000),
    maxSubscriptions: int(env, 'MAX_SUBSCRIPTIONS', 1, 100_000),
    controlRate: int(env, 'CONTROL_RATE', 1, 10_000),
    slowClientBytes: int(env, 'SLOW_CLIENT_BYTES', 16_384, 1 << 30),
    client: oneOf(env, 'CLIENT', CLIENT_MODES),
    production,
    natsUrl: natsUrl(env),
    feed: oneOf(env, 'FEED', FEED_MODES),
    nodeId: env.NODE_ID?.trim() || undefined,
    streamRetentionMinutes: int(env, 'STREAM_RETENTION_MINUTES', 1, 7 * 24 * 60),
    natsReplicas: int(env, 'NATS_REPLICAS', 1, 5),
    apiKeys: list(env, 'API_KEYS'),
    jwtSecret: secret(env, 'JWT_SECRET', 32),
    jwtJwksUrl: httpUrl(env, 'JWT_JWKS_URL'),
    allowedOrigins: origins(env),
    restRateLimit: int(env, 'REST_RATE_LIMIT', 0, 10_000_000),
    wsConnectionsPerIp: int(env, 'WS_CONNECTIONS_PER_IP', 0, 1_000_000),
    wsHandshakesPerIp: int(env, 'WS_HANDSHAKES_PER_IP', 0, 10_000_000),
    redisUrl: redisUrl(env),
    trustProxy: int(env, 'TRUST_PROXY', 0, 10),
    maxReplayTicks: int(env, 'MAX_REPLAY_TICKS', 0, 1_000_000),
    replayTicksPerMinute: int(env, 'REPLAY_TICKS_PER_MINUTE', 0, 100_000_000),
    maxClientBytes: int(env, 'MAX_CLIENT_BYTES', 65_536, 1 << 30),
    metricsPort: int(env, 'METRICS_PORT', 0, 65535),
    metricsToken: secret(env, 'METRICS_TOKEN', 16),
    cursorSecret: secret(env, 'CURSOR_SECRET', 32),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 1_000, 600_000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 1_000, 600_000),
    statementTimeoutMs: int(env, 'STATEMENT_TIMEOUT_MS', 100, 3_600_000),
  };
  for (const key of values.apiKeys ?? []) {
    if (key.length < 16)
      throw new ConfigError('API_KEYS', 'keys must be at least 16 characters long');
  }
  if (values.client === 'vite') {
    // Vite's dev server transforms and serves files from disk: never on a public interface.
    values.host ??= '127.0.0.1';
    if (!LOOPBACK_HOSTS.has(values.host))
      throw new ConfigError(
        'HOST',
        `must be a loopback address (127.0.0.1, ::1 or localhost) with CLIENT=vite, got "${values.host}"`,
      );
  }
  if (values.natsUrl && !values.databaseUrl?.startsWith('postgres')) {
    throw new ConfigError(
      'DATABASE_URL',
      'must point at PostgreSQL (postgres://...) when NATS_URL is set: every node serves the same history',
    );
  }
  const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  const config = new AppConfig({ ...defaults, ...defined });
  if (config.nodeId) return config;
  return new AppConfig({ ...config, nodeId: `${hostname()}:${config.port}` });
}
