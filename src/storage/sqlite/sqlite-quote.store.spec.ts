import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeQuoteStoreContract } from '../quote-store.contract';
import { StoreError } from '../quote-store';
import {
  MIGRATIONS,
  SQLITE_FILE_NAME,
  SqliteQuoteStore,
  sqliteFileFromUrl,
} from './sqlite-quote.store';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tickerboard-sqlite-'));
}

describeQuoteStoreContract('SqliteQuoteStore', async () => {
  const dir = tempDir();
  return {
    open: async () => {
      const store = new SqliteQuoteStore({ file: join(dir, 'data', SQLITE_FILE_NAME) });
      await store.init();
      return store;
    },
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteQuoteStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the data directory and a WAL-mode database with a schema version', async () => {
    const file = join(dir, 'nested', 'data', SQLITE_FILE_NAME);
    const sut = new SqliteQuoteStore({ file });
    await sut.init();
    await sut.close();

    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT MAX(version) FROM schema_version').pluck().get()).toBe(
        MIGRATIONS.length,
      );
    } finally {
      db.close();
    }
  });

  it('refuses a file that is not a database, naming it, and leaves its bytes alone', async () => {
    const file = join(dir, SQLITE_FILE_NAME);
    const garbage = Buffer.from('this is not a SQLite file\n'.repeat(200));
    writeFileSync(file, garbage);
    const sut = new SqliteQuoteStore({ file });

    const error = await sut.init().then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe(
      `SQLite store ${file} is not a valid database (file is not a database): move it aside or set DATA_DIR`,
    );
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  it('refuses a database whose pages are damaged, and leaves its bytes alone', async () => {
    const file = join(dir, SQLITE_FILE_NAME);
    const db = new Database(file);
    db.exec('CREATE TABLE filler (x TEXT); INSERT INTO filler VALUES (hex(randomblob(20000)))');
    db.close();
    const damaged = readFileSync(file);
    damaged.fill(0xa5, 100); // a valid header, then garbage where the schema should be
    writeFileSync(file, damaged);

    await expect(new SqliteQuoteStore({ file }).init()).rejects.toThrow(
      /^SQLite store .* is not a valid database \(.*\): move it aside or set DATA_DIR$/,
    );
    expect(readFileSync(file).equals(damaged)).toBe(true);
  });

  it('names the setting that chose the file', async () => {
    const file = join(dir, 'custom.db');
    writeFileSync(file, 'garbage'.repeat(100));
    const sut = new SqliteQuoteStore({ file, configuredBy: 'DATABASE_URL' });
    await expect(sut.init()).rejects.toThrow(/move it aside or set DATABASE_URL$/);
  });

  it('refuses a path it cannot open as a file', async () => {
    const file = join(dir, 'a-directory.db');
    mkdirSync(file);
    const sut = new SqliteQuoteStore({ file });
    await expect(sut.init()).rejects.toThrow(StoreError);
    await expect(sut.init()).rejects.toThrow(`SQLite store ${file} cannot be opened for writing`);
  });

  it('refuses a data directory that cannot be created', async () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const sut = new SqliteQuoteStore({ file: join(blocker, SQLITE_FILE_NAME) });
    await expect(sut.init()).rejects.toThrow(
      /^Cannot create the directory of SQLite store .* set DATA_DIR to a writable directory$/,
    );
  });

  it('refuses a store written by a newer schema version', async () => {
    const file = join(dir, SQLITE_FILE_NAME);
    const first = new SqliteQuoteStore({ file });
    await first.init();
    await first.close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (99, 0)').run();
    db.close();

    await expect(new SqliteQuoteStore({ file }).init()).rejects.toThrow(
      /has schema version 99, newer than this version of Tickerboard understands \(4\)/,
    );
  });

  it('upgrades a store written before ticks carried bid and ask sizes, keeping its ticks', async () => {
    const dir = tempDir();
    const file = join(dir, SQLITE_FILE_NAME);
    const old = new Database(file);
    old.exec(MIGRATIONS[0]);
    old.exec(
      'CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    old.prepare('INSERT INTO schema_version VALUES (1, 0)').run();
    old
      .prepare(
        'INSERT INTO ticks (symbol, seq, ts, bid, ask, last, size, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run('AAPL', 7, 1_000, 189.5, 189.52, 189.51, 100, 700);
    old.close();
    const sut = new SqliteQuoteStore({ file });
    try {
      await sut.init();
      expect(await sut.ticks('AAPL', { order: 'asc', limit: 10 })).toEqual([
        {
          symbol: 'AAPL',
          seq: 7,
          ts: 1_000,
          bid: 189.5,
          ask: 189.52,
          bidSize: 0,
          askSize: 0,
          last: 189.51,
          size: 100,
          volume: 700,
        },
      ]);
      // A store from before seq reservations has none: the next run continues from its ticks.
      expect(await sut.reservations()).toEqual(new Map());
      // Nor any writer term: the first fenced batch of any term writes.
      expect(await sut.writerTerm()).toBe(0);
    } finally {
      await sut.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes from a thread of its own, and starts a new one when that thread dies', async () => {
    const sut = new SqliteQuoteStore({ file: join(dir, SQLITE_FILE_NAME) });
    await sut.init();
    const candle = {
      symbol: 'AAPL',
      interval: '1m' as const,
      o: 1,
      h: 2,
      l: 0.5,
      c: 1.5,
      v: 10,
      n: 2,
    };
    await sut.write({ ticks: [], candles: [{ ...candle, t: 60_000 }] });
    const { threadId } = await import('node:worker_threads');
    const writer = (
      sut as unknown as { writer: { worker: { threadId: number; terminate(): Promise<number> } } }
    ).writer;
    const first = writer.worker;
    expect(first.threadId).not.toBe(threadId);
    await first.terminate();
    await sut.write({ ticks: [], candles: [{ ...candle, t: 120_000 }] });
    expect(writer.worker.threadId).not.toBe(first.threadId);
    expect((await sut.candles('AAPL', '1m', { order: 'asc', limit: 10 })).map((c) => c.t)).toEqual([
      60_000, 120_000,
    ]);
    await sut.close();
  });

  it('reads a file path from a sqlite: URL', () => {
    expect(sqliteFileFromUrl('sqlite:/var/lib/tb/quotes.db')).toBe('/var/lib/tb/quotes.db');
    expect(sqliteFileFromUrl('sqlite:///var/lib/tb/quotes.db')).toBe('/var/lib/tb/quotes.db');
    expect(sqliteFileFromUrl('sqlite:data/quotes.db')).toBe('data/quotes.db');
    expect(() => sqliteFileFromUrl('sqlite:')).toThrow(StoreError);
  });
});
