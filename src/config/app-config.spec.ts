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
});
