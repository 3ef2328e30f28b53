// Needs PostgreSQL (postgres://postgres@127.0.0.1:5432/test, or TEST_DATABASE_URL). Without a
// server the suite reports itself skipped, except under CI, where it must run and fails loudly.
import pg from 'pg';
import { spawnSync } from 'node:child_process';
import { isStoreUnavailable } from '../../common/errors';
import { describeQuoteStoreContract } from '../quote-store.contract';
import { StoreError, StoreFencedError } from '../quote-store';
import { PostgresQuoteStore } from './postgres-quote.store';

const DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
// Unique per run, so that parallel runs (other engineers, CI) never share tables.
const RUN_PREFIX = `tb_test_${process.pid}_${Date.now().toString(36)}`;

/** Why the server cannot be used, or undefined when it answers. Synchronous: it decides `describe`. */
function unreachableReason(url: string): string | undefined {
  const probe = `
    const { Client } = require('pg');
    const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
    client.connect().then(() => client.end()).then(
      () => process.exit(0),
      (err) => { console.error(err.code || err.message); process.exit(1); },
    );`;
  const result = spawnSync(process.execPath, ['-e', probe, url], {
    cwd: process.cwd(),
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.status === 0) return undefined;
  return result.stderr.trim().split('\n').pop() || result.error?.message || 'no answer';
}

let admin: pg.Pool | undefined;
function adminPool(): pg.Pool {
  admin ??= new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  return admin;
}

afterAll(async () => {
  if (!admin) return;
  // Catches schemas of tests that failed before their own clean-up.
  const { rows } = await admin.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1`,
    [`${RUN_PREFIX}%`],
  );
  for (const { name } of rows) await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await admin.end();
});

let schemas = 0;
function freshSchema(): string {
  return `${RUN_PREFIX}_${++schemas}`;
}

async function dropSchema(schema: string): Promise<void> {
  await adminPool().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

const reason = unreachableReason(DATABASE_URL);

if (reason !== undefined && !process.env.CI) {
  console.warn(
    `PostgresQuoteStore specs skipped: cannot reach ${DATABASE_URL} (${reason}). ` +
      'Start PostgreSQL (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) ' +
      'or point TEST_DATABASE_URL at a server; with CI set these specs run and fail instead.',
  );
  describe.skip(`PostgresQuoteStore (skipped: cannot reach ${DATABASE_URL}: ${reason})`, () => {
    it('runs the QuoteStore contract against a live server', () => undefined);
  });
} else {
  describeQuoteStoreContract('PostgresQuoteStore', async () => {
    const schema = freshSchema();
    return {
      open: async () => {
        const store = new PostgresQuoteStore({ url: DATABASE_URL, schema });
        await store.init();
        return store;
      },
      destroy: () => dropSchema(schema),
    };
  });

  describe('PostgresQuoteStore with a server', () => {
    it('reaches the test server', () => {
      expect(reason === undefined ? 'reachable' : `cannot reach ${DATABASE_URL}: ${reason}`).toBe(
        'reachable',
      );
    });

    it('creates its tables in the schema named by ?schema= in the URL', async () => {
      const schema = freshSchema();
      const url = new URL(DATABASE_URL);
      url.searchParams.set('schema', schema);
      const sut = new PostgresQuoteStore({ url: url.toString() });
      try {
        await sut.init();
        const { rows } = await adminPool().query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
          [schema],
        );
        expect(rows.map((r) => r.table_name)).toEqual([
          'candles',
          'schema_version',
          'seq_reservations',
          'store_writer',
          'ticks',
        ]);
      } finally {
        await sut.close();
        await dropSchema(schema);
      }
    });

    it('refuses a database that does not exist, saying how to create it', async () => {
      const url = new URL(DATABASE_URL);
      url.pathname = '/tickerboard_no_such_db';
      const sut = new PostgresQuoteStore({ url: url.toString(), schema: freshSchema() });
      await expect(sut.init()).rejects.toThrow(StoreError);
      await expect(sut.init()).rejects.toThrow(
        /has no database "tickerboard_no_such_db": create it \(createdb tickerboard_no_such_db\) or fix DATABASE_URL$/,
      );
    });

    it('refuses a schema written by a newer version of Tickerboard', async () => {
      const schema = freshSchema();
      const first = new PostgresQuoteStore({ url: DATABASE_URL, schema });
      await first.init();
      await first.close();
      await adminPool().query(`INSERT INTO "${schema}".schema_version (version) VALUES (99)`);
      try {
        await expect(new PostgresQuoteStore({ url: DATABASE_URL, schema }).init()).rejects.toThrow(
          /has schema version 99, newer than this version of Tickerboard understands \(4\)/,
        );
      } finally {
        await dropSchema(schema);
      }
    });

    it('reads bigint columns as numbers without changing the process-wide pg parser', async () => {
      const schema = freshSchema();
      const sut = new PostgresQuoteStore({ url: DATABASE_URL, schema });
      try {
        await sut.init();
        const tick = {
          symbol: 'X',
          seq: 2 ** 53 - 1,
          ts: 1,
          bid: 1,
          ask: 2,
          last: 1,
          size: 1,
          volume: 1,
          bidSize: 1,
          askSize: 1,
        };
        await sut.write({ ticks: [tick], candles: [] });
        expect(await sut.firstSeq('X')).toBe(2 ** 53 - 1);
        expect(pg.types.getTypeParser(20)('42')).toBe('42');
      } finally {
        await sut.close();
        await dropSchema(schema);
      }
    });

    // The writer fence under READ COMMITTED: a fenced write that has to wait for another
    // transaction's store_writer row (or its not yet committed insert) decides on the term that
    // transaction commits, and writes nothing before it has decided.
    it.each([
      ['inserts a higher term', undefined, 'INSERT INTO %s.store_writer VALUES (1, 6)', 4],
      ['raises the term above it', 1, 'UPDATE %s.store_writer SET term = 6', 4],
      ['raises the term below it', 1, 'UPDATE %s.store_writer SET term = 4', 6],
    ])(
      'decides a fenced write behind a transaction that %s by what that transaction commits',
      async (_label, initialTerm, holderSql, term) => {
        const schema = freshSchema();
        const sut = new PostgresQuoteStore({ url: DATABASE_URL, schema });
        const holder = await adminPool().connect();
        const candle = { symbol: 'X', interval: '1m' as const, t: 0, o: 1, h: 1, l: 1, v: 1, n: 1 };
        try {
          await sut.init();
          if (initialTerm !== undefined) {
            await sut.write({ ticks: [], candles: [], writerTerm: initialTerm });
          }
          await holder.query('BEGIN');
          await holder.query(holderSql.replace('%s', `"${schema}"`));
          await holder.query(
            `INSERT INTO "${schema}".candles (symbol, "interval", t, o, h, l, c, v, n)
             VALUES ('X', '1m', 0, 1, 1, 1, 0, 1, 1)`,
          );
          const write = sut.write({
            ticks: [],
            candles: [{ ...candle, c: term }],
            writerTerm: term,
          });
          const outcome = write.then(
            () => 'written',
            (err: unknown) => err,
          );
          await blockedOn(`"${schema}".store_writer`);
          await holder.query('COMMIT');

          const stored = await sut.candles('X', '1m', { order: 'asc', limit: 10 });
          if (term > 5) {
            expect(await outcome).toBe('written');
            expect(stored.map((c) => c.c)).toEqual([term]);
            expect(await sut.writerTerm()).toBe(term);
          } else {
            expect(await outcome).toBeInstanceOf(StoreFencedError);
            expect(await outcome).toMatchObject({ refusedTerm: term, storedTerm: 6 });
            expect(stored.map((c) => c.c)).toEqual([0]);
            expect(await sut.writerTerm()).toBe(6);
          }
        } finally {
          await holder.query('ROLLBACK').catch(() => undefined);
          holder.release();
          await sut.close();
          await dropSchema(schema);
        }
      },
    );

    it('cancels a statement that waits past STATEMENT_TIMEOUT_MS, as the store being unavailable', async () => {
      const schema = freshSchema();
      const sut = new PostgresQuoteStore({ url: DATABASE_URL, schema, statementTimeoutMs: 200 });
      const holder = await adminPool().connect();
      try {
        await sut.init();
        await holder.query('BEGIN');
        await holder.query(`LOCK TABLE "${schema}".ticks IN ACCESS EXCLUSIVE MODE`);
        const started = Date.now();
        const error = await sut.ticks('X', { order: 'asc', limit: 1 }).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(error).toMatchObject({ code: '57014' });
        expect(isStoreUnavailable(error)).toBe(true);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        holder.release();
        await sut.close();
        await dropSchema(schema);
      }
    });

    it('migrates once when two instances start together', async () => {
      const schema = freshSchema();
      const stores = [1, 2, 3].map(() => new PostgresQuoteStore({ url: DATABASE_URL, schema }));
      try {
        await Promise.all(stores.map((s) => s.init()));
        const { rows } = await adminPool().query(`SELECT version FROM "${schema}".schema_version`);
        expect(rows).toEqual([1, 2, 3, 4].map((version) => ({ version })));
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await dropSchema(schema);
      }
    });
  });
}

/** Resolves once a statement on `table` waits for a lock, or fails after a few seconds. */
async function blockedOn(table: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const { rows } = await adminPool().query(
      `SELECT 1 FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND position($1 IN query) > 0`,
      [table],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no statement on ${table} waited for a lock`);
}

describe('PostgresQuoteStore without a server', () => {
  it('reports an unreachable server in one line, naming host and port', async () => {
    const sut = new PostgresQuoteStore({ url: 'postgres://postgres@127.0.0.1:1/test' });
    const error = await sut.init().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe(
      'Cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED): start the server or fix DATABASE_URL',
    );
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(
      () => new PostgresQuoteStore({ url: 'postgres://127.0.0.1/test?schema=a;drop table x' }),
    ).toThrow(StoreError);
    expect(
      () => new PostgresQuoteStore({ url: 'postgres://127.0.0.1/test', schema: 'A"b' }),
    ).toThrow(/is not a plain identifier/);
  });

  it('names where it points without the password', () => {
    const sut = new PostgresQuoteStore({
      url: 'postgresql://app:s3cret@db.internal:6543/quotes?schema=live',
    });
    expect(sut.location).toBe('db.internal:6543/quotes (schema live)');
  });
});
