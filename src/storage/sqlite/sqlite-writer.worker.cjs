// The SQLite store's writer: every write runs here, on its own connection and thread, so that a
// flush (page writes, WAL checkpoints) never blocks the event loop that serves the feed and the
// API. Plain CommonJS, run as is by the built server and by the tests alike; the SQL comes from
// sqlite-quote.store.ts through workerData, so the schema is described in one place.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const { file, pragmas, sql, rowsPerInsert, pruneChunkRows } = workerData;
const TICK_NUMBERS = 9;
const CANDLE_NUMBERS = 7;

let db;
let s;
try {
  db = new Database(file);
  for (const pragma of pragmas) db.pragma(pragma);
  s = {
    insertTick: db.prepare(sql.insertTick),
    insertTicks: db.prepare(sql.insertTicks),
    upsertCandle: db.prepare(sql.upsertCandle),
    upsertCandles: db.prepare(sql.upsertCandles),
    tickSymbols: db.prepare(sql.tickSymbols).pluck(),
    candleSymbols: db.prepare(sql.candleSymbols).pluck(),
    reserveSeq: db.prepare(sql.reserveSeq),
    fence: db.prepare(sql.fence).pluck(),
    writerTerm: db.prepare(sql.writerTerm).pluck(),
    releaseSeq: db.prepare(sql.releaseSeq),
    pruneTicks: db.prepare(sql.pruneTicks),
    pruneCandles: db.prepare(sql.pruneCandles),
  };
} catch (err) {
  db?.close();
  throw err;
}

const args = [];

/** Ticks arrive as columns: symbols[i] and numbers[i * 9 ...] (seq, ts, bid, ask, ...). */
function pushTick(symbols, numbers, i) {
  args.push(symbols[i]);
  for (let k = i * TICK_NUMBERS, end = k + TICK_NUMBERS; k < end; k++) args.push(numbers[k]);
}

/** Candles: symbols[i], intervals[i] and numbers[i * 7 ...] (t, o, h, l, c, v, n). */
function pushCandle(symbols, intervals, numbers, i) {
  args.push(symbols[i], intervals[i]);
  for (let k = i * CANDLE_NUMBERS, end = k + CANDLE_NUMBERS; k < end; k++) args.push(numbers[k]);
}

/** Inserts `count` rows, rowsPerInsert per call of `many`, the rest one by one through `one`. */
function insertAll(count, many, one, push) {
  let i = 0;
  for (; i + rowsPerInsert <= count; i += rowsPerInsert) {
    args.length = 0;
    for (let j = i; j < i + rowsPerInsert; j++) push(j);
    many.run(args);
  }
  for (; i < count; i++) {
    args.length = 0;
    push(i);
    one.run(args);
  }
}

/** Reservations arrive as symbols[i] and through[i]; `statement` raises or sets them. */
function setReservations(statement, reservations) {
  for (let i = 0; i < reservations.symbols.length; i++) {
    statement.run(reservations.symbols[i], reservations.through[i]);
  }
}

/** A batch refused for its writer term; the main side turns it into StoreFencedError. */
class FencedError extends Error {
  constructor(refusedTerm, storedTerm) {
    super(`writer term ${refusedTerm} refused: the store has been written with term ${storedTerm}`);
    this.fenced = { refusedTerm, storedTerm };
  }
}

/**
 * Raises the stored writer term to `term`, or throws FencedError if a higher one is stored. The
 * first statement of its transaction, which BEGIN IMMEDIATE has already given the database's
 * write lock: a writer on another connection to the file waits for the commit and then sees the
 * new term, so no batch of a lower term can follow one of a higher term.
 */
function fence(term) {
  if (s.fence.get(term) === undefined) throw new FencedError(term, s.writerTerm.get() ?? 0);
}

// One transaction per batch: a flush is all-or-nothing, and SQLite commits once. The seq
// reservations commit with the ticks, so a raised allowance is never ahead of the file; a
// refused writer term rolls back the whole batch.
const writeBatch = db.transaction((ticks, candles, reservations, writerTerm) => {
  if (writerTerm !== undefined) fence(writerTerm);
  insertAll(ticks.symbols.length, s.insertTicks, s.insertTick, (i) =>
    pushTick(ticks.symbols, ticks.numbers, i),
  );
  insertAll(candles.symbols.length, s.upsertCandles, s.upsertCandle, (i) =>
    pushCandle(candles.symbols, candles.intervals, candles.numbers, i),
  );
  if (reservations) setReservations(s.reserveSeq, reservations);
});

const releaseReservations = db.transaction((reservations) =>
  setReservations(s.releaseSeq, reservations),
);

/** Deletes in chunks, each its own short transaction, so no commit holds the lock for long. */
function prune({ ticksBefore, candlesBefore }) {
  let ticks = 0;
  let candles = 0;
  for (const symbol of s.tickSymbols.all()) {
    for (;;) {
      const { changes } = s.pruneTicks.run({ symbol, before: ticksBefore, limit: pruneChunkRows });
      ticks += changes;
      if (changes < pruneChunkRows) break;
    }
  }
  const intervals = Object.entries(candlesBefore).filter(([, before]) => before !== undefined);
  if (intervals.length > 0) {
    for (const symbol of s.candleSymbols.all()) {
      for (const [interval, before] of intervals) {
        for (;;) {
          const { changes } = s.pruneCandles.run({
            symbol,
            interval,
            before,
            limit: pruneChunkRows,
          });
          candles += changes;
          if (changes < pruneChunkRows) break;
        }
      }
    }
  }
  return { ticks, candles };
}

parentPort.on('message', (msg) => {
  try {
    let result;
    if (msg.op === 'write') {
      writeBatch.immediate(msg.ticks, msg.candles, msg.reservations, msg.writerTerm);
    } else if (msg.op === 'release') releaseReservations(msg.reservations);
    else if (msg.op === 'prune') result = prune(msg.cutoffs);
    else if (msg.op === 'close') {
      db.close();
      parentPort.postMessage({ id: msg.id, ok: true });
      parentPort.close();
      return;
    } else throw new Error(`unknown operation ${msg.op}`);
    parentPort.postMessage({ id: msg.id, ok: true, result });
  } catch (err) {
    parentPort.postMessage({
      id: msg.id,
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      code: err && typeof err.code === 'string' ? err.code : undefined,
      fenced: err instanceof FencedError ? err.fenced : undefined,
    });
  }
});

parentPort.postMessage({ ready: true });
