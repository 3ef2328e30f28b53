// The Redis connection that shares per-client limits between nodes. While it is unreachable the
// socket limits are counted by each node alone and the REST limit lets requests through (a Redis
// outage must not lock every client out), said once per outage.
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryConnectionCounters, type ConnectionCounters } from './connection.limits';

/** Prefix of every key the access limits keep in Redis. */
export const REDIS_KEY_PREFIX = 'tickerboard:access:';

export class RedisLink {
  readonly client: Redis;
  private down = false;

  constructor(
    url: string,
    private readonly log = new Logger('Access'),
  ) {
    this.client = new Redis(url, {
      // Commands fail at once while disconnected instead of queueing: a handshake or request
      // never waits for Redis to come back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    });
    this.client.on('error', (err: Error) => this.failed(err));
    this.client.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.log.log('Redis is reachable again: per-client limits are shared and enforced again');
    });
  }

  /** Logs the first failure of an outage. */
  failed(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.log.warn(
      `Redis unreachable (${err instanceof Error ? err.message : String(err)}): until it is back, socket limits are counted by this node alone and the REST limit is not enforced`,
    );
  }

  /** Resolves once connected, on the first failure, or after `ms` (the fallbacks above apply until then). */
  async ready(ms: number): Promise<void> {
    if (this.client.status === 'ready' || this.down) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.client.off('ready', done).off('error', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.client.once('ready', done).once('error', done);
    });
  }

  close(): void {
    this.client.disconnect();
  }
}

/** Gives one connection back and drops this instance's field when it reaches 0, atomically. */
const RELEASE = `
local v = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if v <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v`;

/**
 * Takes one connection for this instance and answers the IP's open connections on instances that
 * sent a heartbeat recently (this one always counts). KEYS: per-IP hash, instances zset;
 * ARGV: instance, oldest live heartbeat (ms), key TTL (s).
 */
const OPEN = `
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
local counts = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #counts, 2 do
  local seen = redis.call('ZSCORE', KEYS[2], counts[i])
  if counts[i] == ARGV[1] or (seen and tonumber(seen) >= tonumber(ARGV[2])) then
    total = total + tonumber(counts[i + 1])
  end
end
return total`;

/** How often an instance says it is alive, and how long after its last word it counts as dead. */
const HEARTBEAT_MS = 10_000;
const INSTANCE_TTL_MS = 35_000;
/** Garbage collection of a per-IP hash nobody touches any more (its counts are filtered anyway). */
const OPEN_KEY_TTL_S = 24 * 3600;

/**
 * Counters shared by every node. Handshakes: INCR on a key that expires with its window. Open
 * connections: one hash per IP with a field per node instance (HINCRBY), summed (in one script)
 * over the instances whose heartbeat is recent, so a node that died holding connections stops
 * counting within INSTANCE_TTL_MS.
 */
export class RedisConnectionCounters implements ConnectionCounters {
  /** This process: a restarted node is a new instance, its predecessor's counts die with it. */
  private readonly instance = `${randomBytes(6).toString('hex')}`;
  private timer?: NodeJS.Timeout;
  /**
   * While Redis is unreachable the limits hold per node, as without REDIS_URL, rather than
   * letting everything through; a connection counted here is released here.
   */
  private readonly local: MemoryConnectionCounters;
  private readonly localOpen = new Map<string, number>();

  constructor(
    private readonly link: RedisLink,
    private readonly windowMs: number,
    private readonly prefix = REDIS_KEY_PREFIX,
  ) {
    this.local = new MemoryConnectionCounters(Date.now, 100_000, windowMs);
  }

  /** Starts the heartbeat; call stop() on shutdown. */
  async start(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async handshake(ip: string): Promise<number> {
    const key = `${this.prefix}ws:hs:${ip}`;
    try {
      const result = await this.link.client
        .multi()
        .set(key, 0, 'PX', this.windowMs, 'NX')
        .incr(key)
        .exec();
      return Number(result?.[1]?.[1] ?? 0);
    } catch (err) {
      this.link.failed(err);
      return this.local.handshake(ip);
    }
  }

  async open(ip: string): Promise<number | undefined> {
    try {
      const total = await this.link.client.eval(
        OPEN,
        2,
        `${this.prefix}ws:open:${ip}`,
        `${this.prefix}ws:instances`,
        this.instance,
        Date.now() - INSTANCE_TTL_MS,
        OPEN_KEY_TTL_S,
      );
      return Number(total);
    } catch (err) {
      this.link.failed(err);
      this.localOpen.set(ip, (this.localOpen.get(ip) ?? 0) + 1);
      return this.local.open(ip);
    }
  }

  close(ip: string): void {
    const local = this.localOpen.get(ip);
    if (local) {
      if (local === 1) this.localOpen.delete(ip);
      else this.localOpen.set(ip, local - 1);
      return this.local.close(ip);
    }
    this.link.client
      .eval(RELEASE, 1, `${this.prefix}ws:open:${ip}`, this.instance)
      .catch((err: unknown) => this.link.failed(err));
  }

  private async heartbeat(): Promise<void> {
    const key = `${this.prefix}ws:instances`;
    const now = Date.now();
    try {
      await this.link.client
        .multi()
        .zadd(key, now, this.instance)
        .zremrangebyscore(key, '-inf', now - INSTANCE_TTL_MS)
        .exec();
    } catch (err) {
      this.link.failed(err);
    }
  }
}
