// Ingest benchmark: how many ticks/s each QuoteStore absorbs when flushed every 500 ms the way
// the market-data service flushes, without a backlog that grows. `npm run bench:ingest`.
//   --stores=sqlite,postgres   --step-s=5   --url=postgres://postgres@127.0.0.1:5432/test
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import pg from 'pg';
import { INTERVALS, bucketStart, type Tick } from '../../src/contracts';
import { Rng } from '../../src/common/rng';
import { DEFAULTS } from '../../src/config/defaults';
import { CATALOG, precisionOf } from '../../src/instruments/catalog';
import { PostgresQuoteStore } from '../../src/storage/postgres/postgres-quote.store';
import type { CandleRow, QuoteStore } from '../../src/storage/quote-store';
import { SqliteQuoteStore } from '../../src/storage/sqlite/sqlite-quote.store';
import { harnessFlags } from '../lib/args';
import { loadavg1, machineLine, pinSelf, sleep } from '../lib/proc';
import { fmt, log, saveJson, table, writeSection } from '../lib/report';

const flags = harnessFlags('bench:ingest', { stores: 'list', 'step-s': 'number', url: 'string' });
const STORES = flags.stores ?? ['sqlite', 'postgres'];
const STEP_MS = (flags['step-s'] ?? 5) * 1000;
const PG_URL = flags.url ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The app's default FLUSH_MS. */
const FLUSH_MS = DEFAULTS.flushMs;
/** Offered ticks/s, stepped up until a store falls behind. */
const RATES = [25_000, 50_000, 100_000, 200_000];
const TARGET = 50_000;
const SYMBOLS = 40;
const PRODUCE_EVERY_MS = 5;
/** Pinned to one core, like the app's one JS thread; the other is left to the PostgreSQL server. */
const APP_CORE = 1;
const COMMAND = `npm run bench:ingest${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

/** Realistic ticks for 40 catalog symbols: liquidity-weighted, on each tick grid, seq per symbol. */
class TickSource {
  private readonly rng = new Rng(42);
  private readonly entries = CATALOG.slice(0, SYMBOLS);
  private readonly weights: number[];
  private readonly price: number[];
  private readonly seq: number[];
  private readonly volume: number[];
  produced = 0;

  constructor() {
    const total = this.entries.reduce((sum, e) => sum + e.sim.liquidity, 0);
    let acc = 0;
    this.weights = this.entries.map((e) => (acc += e.sim.liquidity / total));
    this.price = this.entries.map((e) => e.sim.startPrice);
    this.seq = this.entries.map(() => 0);
    this.volume = this.entries.map(() => 0);
  }

  /** Forgets the newest ticks (never written), so that seq continues without a gap. */
  takeBack(newest: readonly Tick[]): void {
    for (let j = newest.length - 1; j >= 0; j--) {
      const i = this.entries.findIndex((e) => e.symbol === newest[j].symbol);
      this.seq[i]--;
      this.volume[i] -= newest[j].size;
      this.produced--;
    }
  }

  next(ts: number): Tick {
    const u = this.rng.next();
    let i = 0;
    while (i < this.entries.length - 1 && this.weights[i] < u) i++;
    const e = this.entries[i];
    const grid = e.tickSize;
    const digits = precisionOf(grid);
    const onGrid = (p: number) => Number((Math.round(p / grid) * grid).toFixed(digits));
    this.price[i] = Math.max(grid * 10, this.price[i] * (1 + this.rng.normal() * 2e-4));
    const last = onGrid(this.price[i]);
    const size = Math.max(1, Math.round(e.sim.lotSize * (0.5 + this.rng.next() * 4)));
    this.volume[i] += size;
    this.produced++;
    return {
      symbol: e.symbol,
      seq: ++this.seq[i],
      ts,
      bid: onGrid(last - grid),
      ask: onGrid(last + grid),
      bidSize: size * 3,
      askSize: size * 2,
      last,
      size,
      volume: this.volume[i],
    };
  }
}

/** What a flush carries besides the ticks: the touched candle of every symbol and interval. */
function candlesOf(ticks: readonly Tick[]): CandleRow[] {
  const bars = new Map<
    string,
    { first: Tick; last: Tick; h: number; l: number; v: number; n: number }
  >();
  for (const t of ticks) {
    const bar = bars.get(t.symbol);
    if (!bar) {
      bars.set(t.symbol, { first: t, last: t, h: t.last, l: t.last, v: t.size, n: 1 });
      continue;
    }
    bar.last = t;
    bar.h = Math.max(bar.h, t.last);
    bar.l = Math.min(bar.l, t.last);
    bar.v += t.size;
    bar.n++;
  }
  const rows: CandleRow[] = [];
  for (const [symbol, b] of bars) {
    for (const interval of INTERVALS) {
      rows.push({
        symbol,
        interval,
        t: bucketStart(b.last.ts, interval),
        o: b.first.last,
        h: b.h,
        l: b.l,
        c: b.last.last,
        v: b.v,
        n: b.n,
      });
    }
  }
  return rows;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface StepResult {
  store: string;
  offered: number;
  /** Ticks/s of the step's ticks that were written by the deadline (step end + one interval). */
  absorbed: number;
  flushes: number;
  flushP50: number;
  flushP99: number;
  flushMax: number;
  /** Share of wall time spent inside write(). */
  busy: number;
  /** Ticks waiting when the first, middle and last flush of the step started. */
  waiting: [number, number, number];
  /** Offered ticks not yet written at the deadline. */
  backlogEnd: number;
  loopDelayP99: number;
  loopDelayMax: number;
  keptUp: boolean;
}

/**
 * One offered rate for STEP_MS: a producer at a fixed rate and a flush every FLUSH_MS, as in the
 * app. A store keeps up when every tick offered during the step is written by one flush interval
 * after its end; a slower store shows as a queue that grows from flush to flush.
 */
async function runStep(store: QuoteStore, source: TickSource, rate: number): Promise<StepResult> {
  const queue: Tick[] = [];
  const start = performance.now();
  const epoch = Date.now();
  const deadline = start + STEP_MS + FLUSH_MS;
  const total = Math.floor((rate * STEP_MS) / 1000);
  let offered = 0;
  // Due ticks follow the wall clock, so time the loop spends blocked in a synchronous write
  // still counts as offered load: it shows up as a longer queue, as it would in the app.
  const produce = () => {
    const elapsed = performance.now() - start;
    const due = Math.min(total, Math.floor((rate * elapsed) / 1000));
    const ts = epoch + Math.floor(elapsed);
    while (offered < due) {
      queue.push(source.next(ts));
      offered++;
    }
  };
  const producer = setInterval(produce, PRODUCE_EVERY_MS);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();

  const durations: number[] = [];
  const waiting: number[] = [];
  let written = 0;
  let busyMs = 0;
  const flushCount = STEP_MS / FLUSH_MS;
  for (let k = 1; k <= flushCount && performance.now() < deadline; k++) {
    const wait = start + k * FLUSH_MS - performance.now();
    if (wait > 0) await sleep(wait);
    produce();
    waiting.push(queue.length);
    const ticks = queue.splice(0, queue.length);
    const candles = candlesOf(ticks);
    const t0 = performance.now();
    await store.write({ ticks, candles });
    const t1 = performance.now();
    durations.push(t1 - t0);
    busyMs += t1 - t0;
    if (t1 <= deadline) written += ticks.length;
  }
  // Timers may fire a little early: ticks offered just after the last flush started still
  // belong to the step, and count when written before the deadline.
  produce();
  if (queue.length > 0 && offered === total && performance.now() < deadline) {
    const ticks = queue.splice(0, queue.length);
    const t0 = performance.now();
    await store.write({ ticks, candles: candlesOf(ticks) });
    const t1 = performance.now();
    busyMs += t1 - t0;
    if (t1 <= deadline) written += ticks.length;
  }
  const elapsed = performance.now() - start;
  clearInterval(producer);
  delay.disable();
  // A store that fell behind leaves the newest ticks unwritten; they are taken back so that the
  // next step continues every symbol's seq without a gap.
  produce();
  source.takeBack(queue.splice(0, queue.length));
  const sorted = [...durations].sort((a, b) => a - b);
  const mid = waiting[Math.floor((waiting.length - 1) / 2)] ?? NaN;
  return {
    store: store.kind,
    offered: rate,
    absorbed: (written / STEP_MS) * 1000,
    flushes: durations.length,
    flushP50: quantile(sorted, 0.5),
    flushP99: quantile(sorted, 0.99),
    flushMax: sorted[sorted.length - 1] ?? NaN,
    busy: busyMs / elapsed,
    waiting: [waiting[0] ?? NaN, mid, waiting[waiting.length - 1] ?? NaN],
    backlogEnd: total - written,
    loopDelayP99: delay.percentile(99) / 1e6,
    loopDelayMax: delay.max / 1e6,
    keptUp: written >= total * 0.99,
  };
}

interface BlockResult {
  ticks: number;
  candles: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Time the event loop is blocked by one SQLite flush: the synchronous part of write(), which
 * hands the batch (as columns) to the store's writer thread and returns.
 */
async function measureBlocking(
  store: QuoteStore,
  source: TickSource,
  ticksPerFlush: number,
  rounds: number,
): Promise<BlockResult> {
  const samples: number[] = [];
  let candles = 0;
  for (let r = 0; r < rounds; r++) {
    const ts = Date.now();
    const ticks = Array.from({ length: ticksPerFlush }, () => source.next(ts));
    const rows = candlesOf(ticks);
    candles = rows.length;
    const t0 = performance.now();
    const pending = store.write({ ticks, candles: rows });
    samples.push(performance.now() - t0);
    await pending;
    await sleep(2);
  }
  samples.sort((a, b) => a - b);
  return {
    ticks: ticksPerFlush,
    candles,
    p50: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    max: samples[samples.length - 1],
  };
}

async function sumOfLastSeqs(store: QuoteStore): Promise<number> {
  let sum = 0;
  for (const t of (await store.lastTicks()).values()) sum += t.seq;
  return sum;
}

interface StoreRun {
  kind: string;
  steps: StepResult[];
  skipped?: string;
  verified?: string;
  blocking?: BlockResult[];
}

async function benchStore(kind: string): Promise<StoreRun> {
  let store: QuoteStore;
  let cleanup: () => Promise<void>;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tickerboard-ingest-'));
    store = new SqliteQuoteStore({ file: join(dir, 'tickerboard.db') });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else if (kind === 'postgres') {
    const schema = `tb_bench_ingest_${process.pid}`;
    store = new PostgresQuoteStore({ url: PG_URL, schema });
    cleanup = async () => {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    };
  } else {
    throw new Error(`unknown store ${kind}; use sqlite or postgres`);
  }
  try {
    await store.init();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log(`${kind}: skipped: ${reason}`);
    await cleanup().catch(() => undefined);
    return { kind, steps: [], skipped: reason };
  }

  const run: StoreRun = { kind, steps: [] };
  const source = new TickSource();
  try {
    // A short warm-up: statement caches, JIT, the first pages of the tables.
    await runStepQuietly(store, source, 10_000);
    for (const rate of RATES) {
      const step = await runStep(store, source, rate);
      run.steps.push(step);
      log(
        `${kind} ${fmt(rate)}/s: absorbed ${fmt(step.absorbed)}/s, flush p50 ${fmt(step.flushP50, 1)} ms ` +
          `p99 ${fmt(step.flushP99, 1)} ms, busy ${fmt(step.busy * 100)} %, waiting ${step.waiting.map((w) => fmt(w)).join(' → ')}, ` +
          `loop delay max ${fmt(step.loopDelayMax, 1)} ms, ${step.keptUp ? 'kept up' : 'FELL BEHIND'}`,
      );
      if (!step.keptUp) break;
    }
    if (kind === 'sqlite') {
      run.blocking = [
        await measureBlocking(store, source, 250, 200),
        await measureBlocking(store, source, (TARGET * FLUSH_MS) / 1000, 10),
      ];
    }
    const stored = await sumOfLastSeqs(store);
    run.verified =
      stored === source.produced
        ? `${fmt(stored)} ticks stored = ${fmt(source.produced)} produced`
        : `MISMATCH: ${fmt(stored)} ticks stored, ${fmt(source.produced)} produced`;
    log(`${kind}: ${run.verified}`);
  } finally {
    await store.close();
    await cleanup();
  }
  return run;
}

async function runStepQuietly(store: QuoteStore, source: TickSource, rate: number): Promise<void> {
  const ts = Date.now();
  for (let i = 0; i < 4; i++) {
    const ticks = Array.from({ length: (rate * FLUSH_MS) / 1000 }, () => source.next(ts));
    await store.write({ ticks, candles: candlesOf(ticks) });
  }
}

function report(runs: StoreRun[], machine: string, noisy: boolean): string {
  const rows: string[][] = [];
  for (const run of runs) {
    if (run.skipped) {
      rows.push([run.kind, 'skipped', '', '', '', '', '', '', run.skipped]);
      continue;
    }
    for (const s of run.steps) {
      rows.push([
        run.kind,
        fmt(s.offered),
        fmt(s.absorbed),
        `${fmt(s.flushP50, 1)} / ${fmt(s.flushP99, 1)} / ${fmt(s.flushMax, 1)}`,
        `${fmt(s.busy * 100)} %`,
        s.waiting.map((w) => fmt(w)).join(' → '),
        fmt(s.backlogEnd),
        `${fmt(s.loopDelayP99, 1)} / ${fmt(s.loopDelayMax, 1)}`,
        s.keptUp ? 'kept up' : 'fell behind',
      ]);
    }
  }
  const lines = [
    `Machine: ${machine}.`,
    `Command: \`${COMMAND}\`.`,
    '',
    `Each store gets ${SYMBOLS} symbols of catalog-shaped ticks from a producer at a fixed offered rate, ` +
      `flushed every ${FLUSH_MS} ms as one write() of the queued ticks plus the candle rows a real flush ` +
      `carries (one per symbol and interval, ${INTERVALS.length} intervals: up to ${SYMBOLS * INTERVALS.length} rows), ` +
      `for ${STEP_MS / 1000} s per rate, into one growing store; the rate steps up until a store falls behind. ` +
      '"Busy" is the share of wall time spent inside write(). A store keeps up with a rate when every tick ' +
      `offered during the step is written by one flush interval after the step ends (99 % allowed for timer ` +
      'jitter); "absorbed" counts only those ticks, so a store that falls behind shows its real capacity ' +
      'there and a queue that grows from flush to flush. The benchmark process (producer, flushes, and ' +
      `SQLite itself) is pinned to core ${APP_CORE}; the PostgreSQL server runs unpinned on the same 2 cores.`,
    '',
    table(
      [
        'store',
        'offered ticks/s',
        'absorbed ticks/s',
        'flush ms p50 / p99 / max',
        'busy',
        'ticks waiting at flush: first → mid → last',
        'unwritten at deadline',
        'loop delay ms p99 / max',
        'verdict',
      ],
      rows,
    ),
    '',
  ];
  for (const run of runs) {
    if (run.skipped) continue;
    const kept = run.steps.filter((s) => s.keptUp);
    const best = kept[kept.length - 1];
    const limitNote =
      run.steps.length === RATES.length && run.steps.every((s) => s.keptUp)
        ? ` (the highest rate tried; busy ${fmt(best.busy * 100)} % leaves headroom)`
        : '';
    lines.push(
      best
        ? `- ${run.kind}: sustained **${fmt(best.offered)} ticks/s**${limitNote}; ${best.offered >= TARGET ? `meets the ${fmt(TARGET)} ticks/s target` : `MISSES the ${fmt(TARGET)} ticks/s target`}. ${run.verified}.`
        : `- ${run.kind}: kept up with none of the rates tried; MISSES the ${fmt(TARGET)} ticks/s target. ${run.verified}.`,
    );
  }
  const sqlite = runs.find((r) => r.kind === 'sqlite' && r.blocking);
  if (sqlite?.blocking) {
    lines.push(
      '',
      'Event-loop blocking of one SQLite flush (the synchronous part of write(): the batch is ' +
        'encoded as columns and handed to the writer thread, which runs the transaction):',
      '',
      table(
        ['flush', 'blocked ms p50', 'p99', 'max'],
        sqlite.blocking.map((b) => [
          `${fmt(b.ticks)} ticks + ${fmt(b.candles)} candle rows (${fmt((b.ticks * 1000) / FLUSH_MS)} ticks/s × ${FLUSH_MS} ms)`,
          fmt(b.p50, 2),
          fmt(b.p99, 2),
          fmt(b.max, 2),
        ]),
      ),
    );
  }
  if (noisy) {
    lines.push(
      '',
      'The machine was busy with other work during the run (1-minute load average above 1.5): absolute ' +
        'figures are lower bounds.',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const machine = machineLine();
  const noisyBefore = loadavg1() > 1.5;
  pinSelf(APP_CORE);
  const runs: StoreRun[] = [];
  for (const kind of STORES) runs.push(await benchStore(kind));
  const noisy = noisyBefore || loadavg1() > 1.5;
  const body = report(runs, machine, noisy);
  process.stdout.write(`\n${body}\n`);
  writeSection('## Ingest (npm run bench:ingest)', body);
  const json = saveJson('ingest', { machine, command: COMMAND, runs });
  log(`\nwrote bench/RESULTS.md (section "Ingest") and ${json}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
