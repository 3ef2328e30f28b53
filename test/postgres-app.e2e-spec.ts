// The whole app on PostgreSQL (DATABASE_URL=postgres://...). Needs the server on 127.0.0.1:5432
// (or TEST_DATABASE_URL); without one the suite is skipped with the reason, except under CI.
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import request from 'supertest';
import type { Tick } from '../src/contracts';
import { startApp } from './support/app';

const BASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `tb_e2e_${process.pid}_${Date.now().toString(36)}`;

function unreachable(url: string): string | undefined {
  const probe = `new (require('pg').Client)({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 })
    .connect().then(() => process.exit(0), (e) => { console.error(e.code || e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', probe, url], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? undefined : r.stderr.trim().split('\n').pop() || 'no answer';
}

const reason = unreachable(BASE_URL);
if (reason && !process.env.CI) {
  console.warn(
    `Skipping the PostgreSQL app suite: ${BASE_URL} is unreachable (${reason}). Start PostgreSQL to run it.`,
  );
}
const run = reason && !process.env.CI ? describe.skip : describe;

run('The app on PostgreSQL (e2e)', () => {
  const url = `${BASE_URL}${BASE_URL.includes('?') ? '&' : '?'}schema=${SCHEMA}`;

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: BASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await admin.end();
  });

  it('stores, serves and continues after a restart', async () => {
    const env = { DATABASE_URL: url, FLUSH_MS: '100' };
    const first = await startApp(env, { fakeFeed: { lagMs: 3_000 } });
    first.catchUp(100); // three seconds of ticks
    await first.close();
    const second = await startApp(env, { fakeFeed: true });
    try {
      second.feed.tickAll(5);
      const res = await request(second.url)
        .get('/api/instruments/BTCUSD/quotes?from=0&limit=5000')
        .expect(200);
      const ticks: Tick[] = res.body.quotes;
      expect(ticks.length).toBeGreaterThan(10);
      ticks.forEach((t, i) => expect(t.seq).toBe(i + 1));
      const candles = await request(second.url)
        .get('/api/instruments/BTCUSD/candles?interval=1s')
        .expect(200);
      expect(candles.body.candles.length).toBeGreaterThan(1);
    } finally {
      await second.close();
    }
  });
});
