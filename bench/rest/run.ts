// REST benchmark: history and snapshot endpoints with the feed running, against the cheapest route
// the same Nest process serves. `npm run bench:rest [-- --quick]`.
import autocannon from 'autocannon';
import { DEFAULTS } from '../../src/config/defaults';
import { DEFAULT_WATCHLIST } from '../../src/contracts';
import { harnessFlags } from '../lib/args';
import { authHeaders } from '../lib/auth';
import { isNoisy, loadavg1, machineLine, pinSelf, procCpuMicros, sleep } from '../lib/proc';
import { fmt, log, saveJson, table, writeSection } from '../lib/report';
import { buildTickerboard, CLIENT_CORE, startServer, type RunningServer } from '../lib/server';

const flags = harnessFlags('bench:rest', {
  quick: 'flag',
  'no-backfill': 'flag',
  'no-build': 'flag',
  'no-write': 'flag',
});
const QUICK = flags.quick;
const ROUNDS = QUICK ? 1 : 3;
const SECONDS = QUICK ? 1 : 6;
const CONNECTIONS = 32;
const TICK_RATE = DEFAULTS.tickRate;
/** With history the candles endpoint answers full pages, as a chart's first load does. */
const BACKFILL = !flags['no-backfill'] && !QUICK;

interface Endpoint {
  name: string;
  path: string;
  /** The framework's own ceiling in this process, for the ratios. */
  trivial?: boolean;
  /** Concurrent connections, when the target names its own. */
  connections?: number;
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  cpuMicrosPerRequest: number;
  serverCpuPct: number;
  clientCpuPct: number;
  non2xx: number;
  errors: number;
  bytesPerResponse: number;
}

interface Row {
  endpoint: Endpoint;
  status: number | string;
  runs: Measured[];
  median?: Measured;
}

function endpoints(now: number): Endpoint[] {
  const watch = DEFAULT_WATCHLIST.join(',');
  const dayStart = now - (now % 86_400_000);
  return [
    { name: 'trivial: GET /api/health', path: '/api/health', trivial: true },
    { name: 'GET /api/instruments/AAPL', path: '/api/instruments/AAPL' },
    {
      name: 'candles 1m, 500 bars',
      path: `/api/instruments/AAPL/candles?interval=1m&from=${now - 500 * 60_000}&to=${now}&limit=500`,
    },
    {
      // The market-data target: one full UTC day of 1m candles at 50 concurrent connections.
      name: 'candles 1m, one full day (1,440 bars), 50 connections',
      path: `/api/instruments/AAPL/candles?interval=1m&from=${dayStart - 86_400_000}&to=${dayStart}&limit=1440`,
      connections: 50,
    },
    { name: 'quotes, last 100 ticks', path: '/api/instruments/AAPL/quotes?limit=100' },
    { name: 'latest, 8-symbol watchlist', path: `/api/quotes/latest?symbols=${watch}` },
    { name: 'latest, all instruments', path: '/api/quotes/latest' },
  ];
}

async function probe(url: string): Promise<{ status: number; routeMissing: boolean }> {
  const res = await fetch(url, { headers: authHeaders() });
  const body = await res.text();
  // Nest answers an unknown route with "Cannot GET ..."; a known route's 404 names the resource.
  return { status: res.status, routeMissing: res.status === 404 && body.includes('Cannot GET') };
}

async function measure(
  server: RunningServer,
  path: string,
  connections = CONNECTIONS,
): Promise<Measured> {
  const cpu0 = server.cpuMicros();
  const self0 = procCpuMicros(process.pid);
  const t0 = performance.now();
  const r = await autocannon({
    url: `${server.url}${path}`,
    headers: authHeaders(),
    connections,
    duration: SECONDS,
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = server.cpuMicros() - cpu0;
  const total = r.requests.total;
  return {
    rps: total / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuMicrosPerRequest: total ? cpu / total : NaN,
    serverCpuPct: (cpu / 1e6 / seconds) * 100,
    clientCpuPct: ((procCpuMicros(process.pid) - self0) / 1e6 / seconds) * 100,
    non2xx: r.non2xx,
    errors: r.errors,
    bytesPerResponse: total ? r.throughput.total / total : NaN,
  };
}

function median(runs: Measured[]): Measured | undefined {
  if (runs.length === 0) return undefined;
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  pinSelf(CLIENT_CORE);
  const machine = machineLine();
  const noisy = isNoisy();
  log(`REST benchmark${QUICK ? ' (quick)' : ''}: ${machine}`);
  if (!flags['no-build']) {
    log('building Tickerboard (nest build)...');
    buildTickerboard();
  }
  const server = await startServer('tickerboard', {
    tickRate: TICK_RATE,
    env: { BACKFILL: String(BACKFILL) },
  });
  const rows: Row[] = [];
  let broken = false;
  try {
    await sleep(QUICK ? 1000 : 5000);
    const list = endpoints(Date.now());
    for (const endpoint of list) {
      const p = await probe(`${server.url}${endpoint.path}`);
      rows.push({
        endpoint,
        status: p.routeMissing ? 'unavailable (404: no such route)' : p.status,
        runs: [],
      });
      log(`${endpoint.name}: ${p.status}${p.routeMissing ? ' (no such route)' : ''}`);
    }
    // The trivial route is missing in builds without it: the instrument route stands in.
    if (rows[0].status !== 200) rows[1].endpoint.trivial = true;
    // One unrecorded pass, so that no endpoint is measured before the JIT has seen it.
    if (!QUICK)
      for (const row of rows)
        if (row.status === 200)
          await autocannon({
            url: `${server.url}${row.endpoint.path}`,
            headers: authHeaders(),
            connections: 8,
            duration: 2,
          });
    for (let round = 0; round < ROUNDS; round++) {
      for (const row of rows) {
        if (row.status !== 200) continue;
        const m = await measure(server, row.endpoint.path, row.endpoint.connections);
        row.runs.push(m);
        log(
          `  round ${round + 1} ${row.endpoint.name}: ${fmt(m.rps)} req/s p50 ${m.p50} p99 ${m.p99} ms` +
            ` server ${fmt(m.serverCpuPct)}% client ${fmt(m.clientCpuPct)}%` +
            (m.non2xx || m.errors ? ` non2xx ${m.non2xx} errors ${m.errors}` : ''),
        );
        if (m.errors > 0 || m.non2xx > 0) broken = true;
      }
    }
  } finally {
    await server.stop();
  }
  for (const row of rows) row.median = median(row.runs);
  const trivial = rows.find((r) => r.endpoint.trivial && r.median)?.median;
  const trivialName = rows.find((r) => r.endpoint.trivial)?.endpoint.name ?? 'n/a';
  const body = [
    `Machine: ${machine}${noisy ? ' — **noisy run** (loadavg above 1.5)' : ''}.`,
    `Command: \`npm run bench:rest\` (${QUICK ? 'quick smoke' : 'full'} run).`,
    [
      `How: Tickerboard as built by \`nest build\` and run by node (TICK_RATE=${TICK_RATE}, the feed running,`,
      `BACKFILL=${BACKFILL}) alone on core 0; autocannon on core 1 with ${CONNECTIONS} keep-alive connections (unless the endpoint names its own),`,
      `${SECONDS} s per endpoint, ${ROUNDS} round(s) taken in turn; the table shows the median round by`,
      `requests/s. The ratio is to ${trivialName} in the same process and run: the framework's own ceiling.`,
      'Server CPU is utime+stime from /proc.',
    ].join('\n'),
    table(
      [
        'endpoint',
        'status',
        'requests/s',
        'p50 ms',
        'p99 ms',
        'ratio to trivial',
        'server CPU us/request',
        'bytes/response',
        'client CPU %',
      ],
      rows.map((r) => {
        const m = r.median;
        return [
          r.endpoint.name,
          String(r.status),
          fmt(m?.rps),
          fmt(m?.p50),
          fmt(m?.p99),
          m && trivial ? fmt(m.rps / trivial.rps, 2) : '-',
          fmt(m?.cpuMicrosPerRequest, 1),
          fmt(m?.bytesPerResponse),
          fmt(m?.clientCpuPct),
        ];
      }),
    ),
    `Runs per endpoint (requests/s): ${rows
      .filter((r) => r.runs.length)
      .map((r) => `${r.endpoint.name} ${r.runs.map((m) => fmt(m.rps)).join(', ')}`)
      .join('; ')}.`,
  ].join('\n\n');
  const out = saveJson(QUICK ? 'rest-quick' : 'rest', { machine, rows, loadAfter: loadavg1() });
  process.stdout.write(`\n${body}\n\nraw figures: ${out}\n`);
  if (!QUICK && !flags['no-write']) writeSection('## REST (npm run bench:rest)', body);
  if (broken || rows.every((r) => r.runs.length === 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
