import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { PostgresQuoteStore } from './postgres/postgres-quote.store';
import { QuoteStore, StoreError } from './quote-store';
import { SqliteQuoteStore } from './sqlite/sqlite-quote.store';
import { StorageModule, createQuoteStore } from './storage.module';

describe('StorageModule', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tickerboard-storage-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses tickerboard.db in DATA_DIR by default', () => {
    const sut = createQuoteStore(new AppConfig({ dataDir: dir }));
    expect(sut).toBeInstanceOf(SqliteQuoteStore);
    expect((sut as SqliteQuoteStore).file).toBe(join(dir, 'tickerboard.db'));
  });

  it('uses the file of a sqlite: DATABASE_URL', () => {
    const file = join(dir, 'elsewhere', 'quotes.db');
    const sut = createQuoteStore(new AppConfig({ dataDir: dir, databaseUrl: `sqlite:${file}` }));
    expect((sut as SqliteQuoteStore).file).toBe(file);
  });

  it.each(['postgres://u@db:5432/quotes', 'postgresql://u@db/quotes?schema=live'])(
    'uses PostgreSQL for %s',
    (url) => {
      expect(createQuoteStore(new AppConfig({ databaseUrl: url }))).toBeInstanceOf(
        PostgresQuoteStore,
      );
    },
  );

  it('provides an opened store under the QuoteStore token and leaves closing to its user', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ConfigModule, StorageModule] })
      .overrideProvider(AppConfig)
      .useValue(new AppConfig({ dataDir: join(dir, 'data') }))
      .compile();
    const store = moduleRef.get(QuoteStore);
    try {
      expect(store.kind).toBe('sqlite');
      expect(await store.isEmpty()).toBe(true);
      await moduleRef.close();
      // Still open after the module is gone: the market-data service closes it after its flush.
      expect(await store.isEmpty()).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('fails start-up with the StoreError of a store that cannot open', async () => {
    const builder = Test.createTestingModule({ imports: [ConfigModule, StorageModule] })
      .overrideProvider(AppConfig)
      .useValue(new AppConfig({ databaseUrl: 'postgres://postgres@127.0.0.1:1/test' }));
    await expect(builder.compile()).rejects.toThrow(StoreError);
  });
});
