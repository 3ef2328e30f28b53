// Chooses the QuoteStore from configuration. The only file that names the concrete stores.
import { Module } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { PostgresQuoteStore } from './postgres/postgres-quote.store';
import { QuoteStore } from './quote-store';
import { SQLITE_FILE_NAME, SqliteQuoteStore, sqliteFileFromUrl } from './sqlite/sqlite-quote.store';

/** The store DATABASE_URL (postgres:// or sqlite:) or else DATA_DIR selects; not yet opened. */
export function createQuoteStore(config: AppConfig): QuoteStore {
  const url = config.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url))
    return new PostgresQuoteStore({ url, statementTimeoutMs: config.statementTimeoutMs });
  if (url?.startsWith('sqlite:')) {
    return new SqliteQuoteStore({ file: sqliteFileFromUrl(url), configuredBy: 'DATABASE_URL' });
  }
  return new SqliteQuoteStore({ file: join(config.dataDir, SQLITE_FILE_NAME) });
}

@Module({
  providers: [
    {
      provide: QuoteStore,
      inject: [AppConfig],
      // Opened here, closed by the market-data service after its final flush: the store must
      // outlive every write, so this module registers no shutdown hook of its own.
      useFactory: async (config: AppConfig): Promise<QuoteStore> => {
        const store = createQuoteStore(config);
        await store.init();
        return store;
      },
    },
  ],
  exports: [QuoteStore],
})
export class StorageModule {}
