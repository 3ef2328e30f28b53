// The main thread's handle on the SQLite writer thread: batches go over as columns, answers
// come back as promises, in order.
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Tick } from '../../contracts';
import {
  type CandleRow,
  type PruneCutoffs,
  type SeqReservation,
  StoreFencedError,
  type WriteBatch,
} from '../quote-store';

const WORKER_FILE = 'sqlite-writer.worker.cjs';

/**
 * The built server (CommonJS) finds the worker beside this module; the test runtime (ESM, no
 * __dirname) runs from the project root, where the worker's source is.
 */
function workerPath(): string {
  return typeof __dirname === 'string'
    ? join(__dirname, WORKER_FILE)
    : resolve('src', 'storage', 'sqlite', WORKER_FILE);
}

export interface WriterSql {
  insertTick: string;
  insertTicks: string;
  upsertCandle: string;
  upsertCandles: string;
  tickSymbols: string;
  candleSymbols: string;
  reserveSeq: string;
  fence: string;
  writerTerm: string;
  releaseSeq: string;
  pruneTicks: string;
  pruneCandles: string;
}

export interface WriterOptions {
  file: string;
  pragmas: readonly string[];
  sql: WriterSql;
  rowsPerInsert: number;
  pruneChunkRows: number;
}

/** A failed operation, with SQLite's error code when there is one. */
export class WriterError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
}

type Reply =
  | { ready: true }
  | { id: number; ok: true; result?: unknown }
  | {
      id: number;
      ok: false;
      message: string;
      code?: string;
      /** Set when the batch was refused for its writer term: StoreFencedError's two terms. */
      fenced?: { refusedTerm: number; storedTerm: number };
    };

export class SqliteWriter {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly options: WriterOptions) {}

  /** Starts the thread and waits until its connection is open and its statements prepared. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = new Worker(workerPath(), {
      workerData: { ...this.options, pragmas: [...this.options.pragmas] },
    });
    this.worker = worker;
    this.ready = new Promise<void>((resolveReady, rejectReady) => {
      worker.on('message', (reply: Reply) => {
        if ('ready' in reply) {
          // Idle, the thread must not keep the process alive; with work pending it must.
          if (this.pending.size === 0) worker.unref();
          return resolveReady();
        }
        this.settle(reply);
      });
      worker.on('error', (err) => {
        rejectReady(err);
        this.fail(err);
      });
      worker.on('exit', (code) => {
        const err = new WriterError(`SQLite writer thread stopped (exit code ${code})`);
        rejectReady(err);
        this.fail(err);
      });
    });
    return this.ready;
  }

  write(batch: WriteBatch): Promise<void> {
    const ticks = encodeTicks(batch.ticks);
    const candles = encodeCandles(batch.candles);
    const reservations = encodeReservations(batch.reservations ?? []);
    const { writerTerm } = batch;
    return this.call({ op: 'write', ticks, candles, reservations, writerTerm }, [
      ticks.numbers.buffer as ArrayBuffer,
      candles.numbers.buffer as ArrayBuffer,
    ]) as Promise<void>;
  }

  /** Sets each symbol's reservation to exactly `through`, in one transaction. */
  release(reservations: readonly SeqReservation[]): Promise<void> {
    return this.call(
      { op: 'release', reservations: encodeReservations(reservations) },
      [],
    ) as Promise<void>;
  }

  prune(cutoffs: PruneCutoffs): Promise<{ ticks: number; candles: number }> {
    return this.call({ op: 'prune', cutoffs }, []) as Promise<{ ticks: number; candles: number }>;
  }

  /** Finishes the queued work, closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((done) => worker.once('exit', () => done()));
    await this.call({ op: 'close' }, []).catch(() => undefined);
    worker.ref();
    await exited;
  }

  private async call(message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<unknown> {
    await this.start();
    const worker = this.worker!;
    const id = this.nextId++;
    return new Promise((resolveCall, rejectCall) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve: resolveCall, reject: rejectCall });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  private settle(reply: Exclude<Reply, { ready: true }>): void {
    const call = this.pending.get(reply.id);
    if (!call) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) call.resolve(reply.result);
    else if (reply.fenced) {
      // An Error loses its class on the way out of the thread; the terms make it again.
      call.reject(new StoreFencedError(reply.fenced.refusedTerm, reply.fenced.storedTerm));
    } else call.reject(new WriterError(reply.message, reply.code));
  }

  /** The thread is gone: every waiting call fails, and the next one starts a new thread. */
  private fail(err: Error): void {
    this.worker = undefined;
    this.ready = undefined;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(err);
  }
}

function encodeTicks(ticks: readonly Tick[]): { symbols: string[]; numbers: Float64Array } {
  const symbols = new Array<string>(ticks.length);
  const numbers = new Float64Array(ticks.length * 9);
  let k = 0;
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i];
    symbols[i] = t.symbol;
    numbers[k++] = t.seq;
    numbers[k++] = t.ts;
    numbers[k++] = t.bid;
    numbers[k++] = t.ask;
    numbers[k++] = t.last;
    numbers[k++] = t.size;
    numbers[k++] = t.volume;
    numbers[k++] = t.bidSize;
    numbers[k++] = t.askSize;
  }
  return { symbols, numbers };
}

function encodeCandles(rows: readonly CandleRow[]): {
  symbols: string[];
  intervals: string[];
  numbers: Float64Array;
} {
  const symbols = new Array<string>(rows.length);
  const intervals = new Array<string>(rows.length);
  const numbers = new Float64Array(rows.length * 7);
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const c = rows[i];
    symbols[i] = c.symbol;
    intervals[i] = c.interval;
    numbers[k++] = c.t;
    numbers[k++] = c.o;
    numbers[k++] = c.h;
    numbers[k++] = c.l;
    numbers[k++] = c.c;
    numbers[k++] = c.v;
    numbers[k++] = c.n;
  }
  return { symbols, intervals, numbers };
}

function encodeReservations(list: readonly SeqReservation[]): {
  symbols: string[];
  through: number[];
} {
  return { symbols: list.map((r) => r.symbol), through: list.map((r) => r.through) };
}
