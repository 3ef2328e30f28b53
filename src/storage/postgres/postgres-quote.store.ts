// The shared store: PostgreSQL through a pg Pool, one statement per written batch.
import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Candle, Interval, Tick } from '../../contracts';
import {
  type CandleQuery,
  type CandleRow,
  type PruneCutoffs,
  QuoteStore,
  type SeqReservation,
  StoreError,
  StoreFencedError,
  type TickQuery,
  type WriteBatch,
} from '../quote-store';
import { lastCandlePerKey, PRUNE_CHUNK_ROWS, yieldToEventLoop } from '../store-batching';

export interface PostgresQuoteStoreOptions {
  /** postgres:// or postgresql:// URL; `?schema=name` selects a schema (created when missing). */
  url: string;
  /** Overrides `?schema=` of the URL. Without either, tables live on the server's search_path. */
  schema?: string;
  poolSize?: number;
  /** How long a new connection may take; short, so that a dead server fails requests fast. */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL statement_timeout of every statement (STATEMENT_TIMEOUT_MS): a query stuck on a
   * lock or a slow server fails (SQLSTATE 57014, answered 503) instead of holding a request.
   */
  statementTimeoutMs?: number;
}

/** Each entry moves the schema up by one version; never edit a shipped entry, append one. */
const MIGRATIONS: readonly ((q: string) => string)[] = [
  (q) => `
    CREATE TABLE ${q}ticks (
      symbol text NOT NULL,
      seq bigint NOT NULL,
      ts bigint NOT NULL,
      bid double precision NOT NULL,
      ask double precision NOT NULL,
      last double precision NOT NULL,
      size double precision NOT NULL,
      volume double precision NOT NULL,
      PRIMARY KEY (symbol, seq)
    );
    CREATE INDEX ticks_symbol_ts ON ${q}ticks (symbol, ts);
    CREATE TABLE ${q}candles (
      symbol text NOT NULL,
      "interval" text NOT NULL,
      t bigint NOT NULL,
      o double precision NOT NULL,
      h double precision NOT NULL,
      l double precision NOT NULL,
      c double precision NOT NULL,
      v double precision NOT NULL,
      n integer NOT NULL,
      PRIMARY KEY (symbol, "interval", t)
    );`,
  (q) => `
    ALTER TABLE ${q}ticks ADD COLUMN bid_size double precision NOT NULL DEFAULT 0;
    ALTER TABLE ${q}ticks ADD COLUMN ask_size double precision NOT NULL DEFAULT 0;`,
  (q) => `
    CREATE TABLE ${q}seq_reservations (
      symbol text PRIMARY KEY,
      reserved_through bigint NOT NULL
    );`,
  (q) => `
    CREATE TABLE ${q}store_writer (
      id smallint PRIMARY KEY CHECK (id = 1),
      term bigint NOT NULL
    );`,
];

const TICK_COLUMNS = 'symbol, seq, ts, bid, ask, last, size, volume, bid_size, ask_size';
/** Ticks as the contract names their fields. */
const TICK_SELECT =
  'symbol, seq, ts, bid, ask, last, size, volume, bid_size AS "bidSize", ask_size AS "askSize"';
const CANDLE_COLUMNS = 't, o, h, l, c, v, n';
const INT8_OID = 20;

// ts and seq are bigint columns holding values below 2^53: read them as numbers, not strings.
// The parser is set on this pool only, so other pg users in the process keep the default.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

interface Target {
  hostPort: string;
  database: string;
  user: string;
  schema: string | undefined;
  connectionString: string;
}

export class PostgresQuoteStore extends QuoteStore {
  readonly kind = 'postgres';
  private readonly logger = new Logger(PostgresQuoteStore.name);
  private readonly target: Target;
  /** Qualifier for table names: `"schema".` or empty. */
  private readonly q: string;
  private readonly sql: ReturnType<typeof statements>;
  private pool: pg.Pool | undefined;

  constructor(private readonly options: PostgresQuoteStoreOptions) {
    super();
    this.target = parseTarget(options.url, options.schema);
    this.q = this.target.schema ? `"${this.target.schema}".` : '';
    this.sql = statements(this.q);
  }

  /** Where the store points, without the password; for logs. */
  get location(): string {
    const { hostPort, database, schema } = this.target;
    return `${hostPort}/${database}${schema ? ` (schema ${schema})` : ''}`;
  }

  async init(): Promise<void> {
    const pool = new pg.Pool({
      connectionString: this.target.connectionString,
      max: this.options.poolSize ?? 5,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 3_000,
      statement_timeout: this.options.statementTimeoutMs ?? 10_000,
      application_name: 'tickerboard',
      types,
    });
    // An idle connection dropped by the server must not crash the process; the pool replaces it.
    pool.on('error', (err) => this.logger.warn(`PostgreSQL connection lost: ${err.message}`));
    try {
      await this.migrate(pool);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err instanceof StoreError ? err : this.describe(err);
    }
    this.pool = pool;
  }

  private async migrate(pool: pg.Pool): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Two instances starting together must not both create the schema.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `tickerboard:${this.target.schema ?? ''}`,
      ]);
      if (this.target.schema) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.target.schema}"`);
      }
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.q}schema_version (
           version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number | null }>(
        `SELECT MAX(version) AS version FROM ${this.q}schema_version`,
      );
      const current = rows[0]?.version ?? 0;
      if (current > MIGRATIONS.length) {
        throw new StoreError(
          `PostgreSQL store ${this.location} has schema version ${current}, newer than this version of Tickerboard understands (${MIGRATIONS.length}): upgrade, or point DATABASE_URL at another database or ?schema=`,
        );
      }
      for (let version = current + 1; version <= MIGRATIONS.length; version++) {
        await client.query(MIGRATIONS[version - 1](this.q));
        await client.query(`INSERT INTO ${this.q}schema_version (version) VALUES ($1)`, [version]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** One line on what is wrong with the server or the URL, and what to do about it. */
  private describe(err: unknown): StoreError {
    const { hostPort, database, user } = this.target;
    const e = err as { code?: string; message?: string; errors?: { code?: string }[] };
    const code = e.code ?? e.errors?.find((inner) => inner.code)?.code;
    const message = e.message || code || String(err);
    let line: string;
    if (code && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)$/.test(code)) {
      line = `Cannot reach PostgreSQL at ${hostPort} (${code}): start the server or fix DATABASE_URL`;
    } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      line = `Cannot resolve the PostgreSQL host of ${hostPort} (${code}): fix the host in DATABASE_URL`;
    } else if (/timeout/i.test(message)) {
      line = `Cannot reach PostgreSQL at ${hostPort} (no answer within ${(this.options.connectTimeoutMs ?? 5_000) / 1000} s): start the server or fix DATABASE_URL`;
    } else if (code === '28P01' || code === '28000') {
      line = `PostgreSQL at ${hostPort} refused user "${user}" (${message}): fix the credentials in DATABASE_URL`;
    } else if (code === '3D000') {
      line = `PostgreSQL at ${hostPort} has no database "${database}": create it (createdb ${database}) or fix DATABASE_URL`;
    } else if (code === '42501') {
      line = `PostgreSQL user "${user}" may not create Tickerboard's tables in ${this.location} (${message}): grant CREATE or choose another ?schema=`;
    } else {
      line = `PostgreSQL store ${this.location} could not be opened (${message}): check DATABASE_URL and the server's log`;
    }
    return new StoreError(line, { cause: err });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  async write(batch: WriteBatch): Promise<void> {
    const { ticks, writerTerm } = batch;
    const candles = lastCandlePerKey(batch.candles);
    const reservations = highestPerSymbol(batch.reservations ?? []);
    const empty = ticks.length === 0 && candles.length === 0 && reservations.length === 0;
    if (empty && writerTerm === undefined) return;
    // Column arrays through unnest(): one statement and one round trip per batch, however many
    // rows it carries; without a term, in an implicit transaction of its own.
    const write: pg.QueryConfig = {
      name: `tickerboard-write${this.q}`,
      text: this.sql.write,
      values: [
        textArray(ticks.map((t) => t.symbol)),
        numberArray(ticks.map((t) => t.seq)),
        numberArray(ticks.map((t) => t.ts)),
        numberArray(ticks.map((t) => t.bid)),
        numberArray(ticks.map((t) => t.ask)),
        numberArray(ticks.map((t) => t.last)),
        numberArray(ticks.map((t) => t.size)),
        numberArray(ticks.map((t) => t.volume)),
        numberArray(ticks.map((t) => t.bidSize)),
        numberArray(ticks.map((t) => t.askSize)),
        textArray(candles.map((c) => c.symbol)),
        textArray(candles.map((c) => c.interval)),
        numberArray(candles.map((c) => c.t)),
        numberArray(candles.map((c) => c.o)),
        numberArray(candles.map((c) => c.h)),
        numberArray(candles.map((c) => c.l)),
        numberArray(candles.map((c) => c.c)),
        numberArray(candles.map((c) => c.v)),
        numberArray(candles.map((c) => c.n)),
        textArray(reservations.map((r) => r.symbol)),
        numberArray(reservations.map((r) => r.through)),
      ],
    };
    if (writerTerm === undefined) await this.open().query(write);
    else await this.writeFenced(writerTerm, empty ? undefined : write);
  }

  /**
   * The fence first, then the batch, in one transaction. The upsert locks the store_writer row
   * until COMMIT or ROLLBACK (and the very first insert makes a second one wait on the primary
   * key the same way), so fenced writes run one at a time: a writer that waits behind a higher
   * term finds it when the lock is released (READ COMMITTED re-checks the WHERE against the
   * newest row version) and is refused; one that waits behind a lower term writes after it. A
   * refused batch never gets to write a row.
   */
  private async writeFenced(term: number, write: pg.QueryConfig | undefined): Promise<void> {
    const client = await this.open().connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const fence = await client.query<{ term: number }>({
        name: `tickerboard-fence${this.q}`,
        text: this.sql.fence,
        values: [term],
      });
      if (fence.rows.length === 0) {
        const { rows } = await client.query<{ term: number }>(this.sql.writerTerm);
        throw new StoreFencedError(term, rows[0]?.term ?? 0);
      }
      if (write) await client.query(write);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw err;
    } finally {
      // A connection that could not even roll back is dropped rather than reused.
      client.release(broken);
    }
  }

  async writerTerm(): Promise<number> {
    const { rows } = await this.open().query<{ term: number }>(this.sql.writerTerm);
    return rows[0]?.term ?? 0;
  }

  async reservations(): Promise<Map<string, number>> {
    const { rows } = await this.open().query<{ symbol: string; through: number }>(
      `SELECT symbol, reserved_through AS through FROM ${this.q}seq_reservations`,
    );
    return new Map(rows.map((r) => [r.symbol, r.through]));
  }

  async releaseReservations(reservations: readonly SeqReservation[]): Promise<void> {
    const list = highestPerSymbol(reservations);
    if (list.length === 0) return;
    await this.open().query(
      `INSERT INTO ${this.q}seq_reservations (symbol, reserved_through)
       SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (symbol) DO UPDATE SET reserved_through = EXCLUDED.reserved_through`,
      [textArray(list.map((r) => r.symbol)), numberArray(list.map((r) => r.through))],
    );
  }

  /** COPY in text format: about 2.5x faster than the unnest() upsert for a first-start load. */
  override async loadHistory(rows: readonly CandleRow[]): Promise<void> {
    if (rows.length === 0) return;
    let text = '';
    for (const c of rows) {
      text += `${copyText(c.symbol)}\t${copyText(c.interval)}\t${c.t}\t${c.o}\t${c.h}\t${c.l}\t${c.c}\t${c.v}\t${c.n}\n`;
    }
    const client = await this.open().connect();
    try {
      const stream = client.query(
        copyFrom(`COPY ${this.q}candles (symbol, "interval", ${CANDLE_COLUMNS}) FROM STDIN`),
      );
      stream.end(text);
      await once(stream, 'finish');
    } finally {
      client.release();
    }
  }

  async lastTicks(): Promise<Map<string, Tick>> {
    const { rows } = await this.open().query<Tick>(this.sql.lastTicks);
    return new Map(rows.map((t) => [t.symbol, t]));
  }

  async firstSeq(symbol: string): Promise<number | undefined> {
    const { rows } = await this.open().query<{ seq: number | null }>(
      `SELECT MIN(seq) AS seq FROM ${this.q}ticks WHERE symbol = $1`,
      [symbol],
    );
    return rows[0]?.seq ?? undefined;
  }

  async ticks(symbol: string, query: TickQuery): Promise<Tick[]> {
    const pool = this.open();
    if (query.limit < 1) return [];
    const params: unknown[] = [symbol];
    const where = ['symbol = $1'];
    if (query.afterSeq !== undefined) where.push(`seq > $${params.push(query.afterSeq)}`);
    if (query.fromTs !== undefined) where.push(`ts >= $${params.push(query.fromTs)}`);
    if (query.toTs !== undefined) where.push(`ts < $${params.push(query.toTs)}`);
    const desc = query.order === 'latest';
    const limit = params.push(Math.floor(query.limit));
    const { rows } = await pool.query<Tick>(
      `SELECT ${TICK_SELECT} FROM ${this.q}ticks WHERE ${where.join(' AND ')}
       ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT $${limit}`,
      params,
    );
    return desc ? rows.reverse() : rows;
  }

  async candles(symbol: string, interval: Interval, query: CandleQuery): Promise<Candle[]> {
    const pool = this.open();
    if (query.limit < 1) return [];
    const params: unknown[] = [symbol, interval];
    const where = ['symbol = $1', '"interval" = $2'];
    if (query.from !== undefined) where.push(`t >= $${params.push(query.from)}`);
    if (query.to !== undefined) where.push(`t < $${params.push(query.to)}`);
    const desc = query.order === 'latest';
    const limit = params.push(Math.floor(query.limit));
    const { rows } = await pool.query<Candle>(
      `SELECT ${CANDLE_COLUMNS} FROM ${this.q}candles WHERE ${where.join(' AND ')}
       ORDER BY t ${desc ? 'DESC' : 'ASC'} LIMIT $${limit}`,
      params,
    );
    return desc ? rows.reverse() : rows;
  }

  async lastCandleBefore(
    symbol: string,
    interval: Interval,
    before: number,
  ): Promise<Candle | undefined> {
    const { rows } = await this.open().query<Candle>(
      `SELECT ${CANDLE_COLUMNS} FROM ${this.q}candles
       WHERE symbol = $1 AND "interval" = $2 AND t < $3 ORDER BY t DESC LIMIT 1`,
      [symbol, interval, before],
    );
    return rows[0];
  }

  async prune(cutoffs: PruneCutoffs): Promise<{ ticks: number; candles: number }> {
    let ticks = 0;
    let candles = 0;
    // Chunks per symbol walk the (symbol, ts) and (symbol, interval, t) indexes; each chunk
    // commits on its own, so no transaction grows with the size of the backlog.
    for (const symbol of await this.symbols('ticks')) {
      for (;;) {
        const { rowCount } = await this.open().query(this.sql.pruneTicks, [
          symbol,
          cutoffs.ticksBefore,
          PRUNE_CHUNK_ROWS,
        ]);
        ticks += rowCount ?? 0;
        if ((rowCount ?? 0) < PRUNE_CHUNK_ROWS) break;
        await yieldToEventLoop();
      }
    }
    const intervals = Object.entries(cutoffs.candlesBefore) as [Interval, number | undefined][];
    if (intervals.length > 0) {
      for (const symbol of await this.symbols('candles')) {
        for (const [interval, before] of intervals) {
          if (before === undefined) continue;
          for (;;) {
            const { rowCount } = await this.open().query(this.sql.pruneCandles, [
              symbol,
              interval,
              before,
              PRUNE_CHUNK_ROWS,
            ]);
            candles += rowCount ?? 0;
            if ((rowCount ?? 0) < PRUNE_CHUNK_ROWS) break;
            await yieldToEventLoop();
          }
        }
      }
    }
    return { ticks, candles };
  }

  async isEmpty(): Promise<boolean> {
    const { rows } = await this.open().query<{ empty: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM ${this.q}ticks)
          AND NOT EXISTS (SELECT 1 FROM ${this.q}candles) AS empty`,
    );
    return rows[0].empty;
  }

  private async symbols(table: 'ticks' | 'candles'): Promise<string[]> {
    const { rows } = await this.open().query<{ symbol: string }>(
      `${symbolsOf(this.q + table)} SELECT symbol FROM s WHERE symbol IS NOT NULL`,
    );
    return rows.map((r) => r.symbol);
  }

  override async readConsistent<T>(read: (store: QuoteStore) => Promise<T>): Promise<T> {
    const client = await this.open().connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // The same store, with its reads on this transaction's connection.
      const view = Object.create(this) as PostgresQuoteStore;
      Object.defineProperty(view, 'open', { value: () => client });
      const result = await read(view);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private open(): pg.Pool {
    if (!this.pool) throw new StoreError(`PostgreSQL store ${this.location} is not open`);
    return this.pool;
  }
}

/** One reservation per symbol, the highest: ON CONFLICT may not touch a row twice. */
function highestPerSymbol(list: readonly SeqReservation[]): SeqReservation[] {
  if (list.length < 2) return [...list];
  const by = new Map<string, SeqReservation>();
  for (const r of list) {
    const seen = by.get(r.symbol);
    if (!seen || r.through > seen.through) by.set(r.symbol, r);
  }
  return [...by.values()];
}

// Array literals built here rather than by pg, whose generic per-element escaping costs about
// ten times as much main-thread time on a large batch. String(n) is the shortest form that reads
// back as the same double (1e-7, NaN and Infinity included); integers below 2^53 print as digits.
function numberArray(values: number[]): string {
  return `{${values.join(',')}}`;
}

/** A field of COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (ch) => COPY_ESCAPES[ch] ?? ch);
}
const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

function textArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

// Distinct symbols by walking the primary key: one index probe per symbol, not a full scan.
function symbolsOf(table: string): string {
  return `
    WITH RECURSIVE s(symbol) AS (
      SELECT MIN(symbol) FROM ${table}
      UNION ALL
      SELECT (SELECT MIN(symbol) FROM ${table} WHERE symbol > s.symbol) FROM s WHERE s.symbol IS NOT NULL
    )`;
}

function statements(q: string) {
  return {
    write: `
      WITH new_ticks AS (
        INSERT INTO ${q}ticks (${TICK_COLUMNS})
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[],
                             $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[])
        ON CONFLICT (symbol, seq) DO NOTHING
      ), new_reservations AS (
        INSERT INTO ${q}seq_reservations (symbol, reserved_through)
        SELECT * FROM unnest($20::text[], $21::bigint[])
        ON CONFLICT (symbol) DO UPDATE SET
          reserved_through = GREATEST(${q}seq_reservations.reserved_through, EXCLUDED.reserved_through)
      )
      INSERT INTO ${q}candles (symbol, "interval", ${CANDLE_COLUMNS})
      SELECT * FROM unnest($11::text[], $12::text[], $13::bigint[], $14::float8[], $15::float8[],
                           $16::float8[], $17::float8[], $18::float8[], $19::integer[])
      ON CONFLICT (symbol, "interval", t) DO UPDATE SET
        o = EXCLUDED.o, h = EXCLUDED.h, l = EXCLUDED.l, c = EXCLUDED.c, v = EXCLUDED.v, n = EXCLUDED.n`,
    fence: `
      INSERT INTO ${q}store_writer AS w (id, term) VALUES (1, $1)
      ON CONFLICT (id) DO UPDATE SET term = EXCLUDED.term WHERE w.term <= EXCLUDED.term
      RETURNING term`,
    writerTerm: `SELECT term FROM ${q}store_writer WHERE id = 1`,
    lastTicks: `
      ${symbolsOf(`${q}ticks`)}
      SELECT t.symbol, t.seq, t.ts, t.bid, t.ask, t.last, t.size, t.volume,
        t.bid_size AS "bidSize", t.ask_size AS "askSize"
      FROM s JOIN ${q}ticks AS t
        ON t.symbol = s.symbol AND t.seq = (SELECT MAX(seq) FROM ${q}ticks WHERE symbol = s.symbol)`,
    pruneTicks: `
      DELETE FROM ${q}ticks WHERE symbol = $1 AND seq IN (
        SELECT seq FROM ${q}ticks WHERE symbol = $1 AND ts < $2 LIMIT $3)`,
    pruneCandles: `
      DELETE FROM ${q}candles WHERE symbol = $1 AND "interval" = $2 AND t IN (
        SELECT t FROM ${q}candles WHERE symbol = $1 AND "interval" = $2 AND t < $3 LIMIT $4)`,
  };
}

function parseTarget(url: string, schemaOption: string | undefined): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError(
      `DATABASE_URL is not a valid PostgreSQL URL: fix it (postgres://user@host:5432/db)`,
    );
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new StoreError(`DATABASE_URL must start with postgres:// for the PostgreSQL store`);
  }
  const schema = schemaOption ?? (parsed.searchParams.get('schema') || undefined);
  parsed.searchParams.delete('schema');
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new StoreError(
      `PostgreSQL schema "${schema}" is not a plain identifier: use letters, digits and _ (at most 63)`,
    );
  }
  return {
    hostPort: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)',
    user: decodeURIComponent(parsed.username) || '(default)',
    schema,
    connectionString: parsed.toString(),
  };
}
