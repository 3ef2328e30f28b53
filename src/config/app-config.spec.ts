import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      port: 3000,
      seed: 42,
      dataDir: './data',
      databaseUrl: undefined,
      logLevel: 'log',
      batchMs: 25,
      maxSubscriptions: 500,
      controlRate: 20,
    });
  });

  it('reads typed values', () => {
    const sut = loadConfig({
      PORT: '0',
      SEED: '7',
      TICK_RATE: '1000',
      LOG_LEVEL: 'DEBUG',
      DATABASE_URL: 'postgres://127.0.0.1:5432/test',
      BACKFILL: 'false',
    });
    expect(sut).toMatchObject({
      port: 0,
      seed: 7,
      tickRate: 1000,
      logLevel: 'debug',
      databaseUrl: 'postgres://127.0.0.1:5432/test',
      backfill: false,
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ SEED: '-3' }, 'SEED'],
    [{ TICK_RATE: '0' }, 'TICK_RATE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ BACKFILL: 'maybe' }, 'BACKFILL'],
    [{ NATS_URL: 'http://127.0.0.1:4222', DATABASE_URL: 'postgres://h/db' }, 'NATS_URL'],
    [{ NATS_URL: 'nats://127.0.0.1:4222' }, 'DATABASE_URL'],
    [{ NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'sqlite:x.db' }, 'DATABASE_URL'],
    [{ FEED: 'sometimes' }, 'FEED'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('is one process without NATS_URL, and names the node host:port by default', () => {
    const sut = loadConfig({ PORT: '3005' });
    expect(sut.natsUrl).toBeUndefined();
    expect(sut.feed).toBe('auto');
    expect(sut.nodeId).toMatch(/.+:3005$/);
  });

  it('reads the cluster settings', () => {
    const sut = loadConfig({
      NATS_URL: 'nats://127.0.0.1:4222,nats://127.0.0.1:4223',
      DATABASE_URL: 'postgres://127.0.0.1:5432/test',
      FEED: 'off',
      NODE_ID: 'gw-2',
      STREAM_RETENTION_MINUTES: '30',
    });
    expect(sut).toMatchObject({
      natsUrl: 'nats://127.0.0.1:4222,nats://127.0.0.1:4223',
      feed: 'off',
      nodeId: 'gw-2',
      streamRetentionMinutes: 30,
    });
  });

  it('is public with the documented limits when no exposure setting is given', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      apiKeys: [],
      jwtSecret: undefined,
      allowedOrigins: [],
      restRateLimit: 1200,
      wsConnectionsPerIp: 50,
      wsHandshakesPerIp: 300,
      maxReplayTicks: 5000,
      maxClientBytes: 8 * 1024 * 1024,
      trustProxy: 0,
    });
  });

  it('reads the exposure settings', () => {
    const sut = loadConfig({
      API_KEYS: ' key-aaaaaaaaaaaaaaaa , key-bbbbbbbbbbbbbbbb,',
      JWT_SECRET: 'x'.repeat(32),
      ALLOWED_ORIGINS: 'https://desk.example.com, http://localhost:5173/',
      REST_RATE_LIMIT: '0',
      WS_CONNECTIONS_PER_IP: '0',
      REDIS_URL: 'redis://127.0.0.1:6379',
      TRUST_PROXY: '1',
      MAX_REPLAY_TICKS: '100',
      METRICS_TOKEN: 'm'.repeat(16),
    });
    expect(sut).toMatchObject({
      apiKeys: ['key-aaaaaaaaaaaaaaaa', 'key-bbbbbbbbbbbbbbbb'],
      allowedOrigins: ['https://desk.example.com', 'http://localhost:5173'],
      restRateLimit: 0,
      wsConnectionsPerIp: 0,
      redisUrl: 'redis://127.0.0.1:6379',
      trustProxy: 1,
      maxReplayTicks: 100,
    });
  });

  it.each([
    [{ API_KEYS: 'short' }, 'API_KEYS'],
    [{ JWT_SECRET: 'too-short' }, 'JWT_SECRET'],
    [{ JWT_JWKS_URL: 'file:///etc/keys' }, 'JWT_JWKS_URL'],
    [{ ALLOWED_ORIGINS: 'desk.example.com' }, 'ALLOWED_ORIGINS'],
    [{ ALLOWED_ORIGINS: 'https://desk.example.com/app' }, 'ALLOWED_ORIGINS'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    [{ REST_RATE_LIMIT: '-1' }, 'REST_RATE_LIMIT'],
    [{ CLIENT: 'vite', HOST: '0.0.0.0' }, 'HOST'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('serves Vite on loopback only: CLIENT=vite defaults HOST to 127.0.0.1', () => {
    expect(loadConfig({ CLIENT: 'vite' }).host).toBe('127.0.0.1');
    expect(loadConfig({ CLIENT: 'vite', HOST: '::1' }).host).toBe('::1');
  });

  it('never prints a database or Redis password in its errors', () => {
    for (const env of [
      { DATABASE_URL: 'mysql://tb:s3cret-pw@db.example.com/tb' },
      { REDIS_URL: 'http://:s3cret-pw@cache.example.com' },
    ]) {
      let message = '';
      try {
        loadConfig(env);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^Invalid configuration/);
      expect(message).not.toContain('s3cret-pw');
    }
  });
});
