// Polling versus push: N clients watching M symbols each, by REST polling (1 s, 250 ms) and by the
// socket stream (full, conflated 250 ms). Bytes on the wire, server CPU and staleness: the time from
// a price change to the client holding that price or a newer one. `npm run bench:poll-vs-push`.
import { writeFileSync } from 'node:fs';
import { Agent, request, type ClientRequest } from 'node:http';
import { authHeaders } from '../lib/auth';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { Rng } from '../../src/common/rng';
import { DEFAULTS } from '../../src/config/defaults';
import { harnessFlags } from '../lib/args';
import { isNoisy, loadavg1, machineLine, pinSelf, procCpuMicros, sleep } from '../lib/proc';
import { fmt, log, saveJson, table, writeSection } from '../lib/report';
import {
  buildTickerboard,
  CLIENT_CORE,
  ROOT,
  startServer,
  type RunningServer,
} from '../lib/server';
import { inPool, StreamClient, SYMBOL_LIST, Tally } from '../lib/stream-client';
import { renderChart } from './chart';

const flags = harnessFlags('bench:poll-vs-push', {
  quick: 'flag',
  'no-build': 'flag',
  'no-write': 'flag',
});
const QUICK = flags.quick;
const CLIENTS = QUICK ? 20 : 200;
const SYMBOLS_PER_CLIENT = QUICK ? 5 : 10;
const TICK_RATE = DEFAULTS.tickRate;
const WARMUP_MS = QUICK ? 1000 : 3000;
const WINDOW_MS = QUICK ? 3000 : 30_000;
const CHART = join(ROOT, 'docs', 'poll-vs-push.svg');
const SYMBOL_INDEX = new Map(SYMBOL_LIST.map((s, i) => [s, i]));

type ModeId = 'poll-1s' | 'poll-250ms' | 'push-full' | 'push-conflated';
const MODES: { id: ModeId; label: string; pollMs?: number; conflateMs?: number }[] = [
  { id: 'poll-1s', label: 'REST poll every 1 s', pollMs: 1000 },
  { id: 'poll-250ms', label: 'REST poll every 250 ms', pollMs: 250 },
  { id: 'push-full', label: 'socket, full stream' },
  { id: 'push-conflated', label: 'socket, conflated 250 ms', conflateMs: 250 },
];

interface ModeResult {
  id: ModeId;
  label: string;
  bytesPerClientPerMin: number;
  serverCpuPct: number;
  serverCpuMsPerClientPerMin: number;
  clientCpuPct: number;
  staleP50: number;
  staleP99: number;
  changes: number;
  unseen: number;
  requests: number;
  skippedPolls: number;
  errors: number;
  lost: number;
}

function symbolSets(): string[][] {
  const rng = new Rng(11);
  return Array.from({ length: CLIENTS }, () => {
    const pool = [...SYMBOL_LIST];
    for (let i = 0; i < SYMBOLS_PER_CLIENT; i++) {
      const j = i + Math.floor(rng.next() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, SYMBOLS_PER_CLIENT);
  });
}

/** Every tick's ts per symbol, from one full-stream observer: the truth staleness is measured against. */
class Timeline {
  private readonly ts = SYMBOL_LIST.map(() => new Map<number, number>());
  record(sym: number, seq: number, ts: number): void {
    this.ts[sym].set(seq, ts);
  }
  get(sym: number, seq: number): number | undefined {
    return this.ts[sym].get(seq);
  }
}

/** "Client c held symbol s at seq q from time t": resolved against the timeline after the run. */
interface Sighting {
  client: number;
  sym: number;
  seq: number;
  at: number;
}

interface Poller {
  stop(): void;
  bytes(): number;
  requests: number;
  skipped: number;
  errors: number;
}

function startPoller(
  url: string,
  symbols: string[],
  everyMs: number,
  onSnapshot: (sym: number, seq: number, at: number) => void,
): Poller {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<Socket>();
  let closedBytes = 0;
  let inFlight: ClientRequest | undefined;
  const path = `/api/quotes/latest?symbols=${symbols.join(',')}`;
  const p: Poller = {
    requests: 0,
    skipped: 0,
    errors: 0,
    bytes: () => closedBytes + [...sockets].reduce((n, s) => n + s.bytesRead + s.bytesWritten, 0),
    stop: () => {
      clearTimeout(phase);
      clearInterval(timer);
      inFlight?.destroy();
      agent.destroy();
    },
  };
  const poll = (): void => {
    if (inFlight) {
      p.skipped++;
      return;
    }
    p.requests++;
    const req = request(`${url}${path}`, { agent, headers: authHeaders() }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        inFlight = undefined;
        const at = Date.now();
        if (res.statusCode !== 200) {
          p.errors++;
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          quotes?: { symbol: string; seq: number }[];
        };
        for (const q of body.quotes ?? []) {
          const sym = SYMBOL_INDEX.get(q.symbol);
          if (sym !== undefined) onSnapshot(sym, q.seq, at);
        }
      });
    });
    inFlight = req;
    req.on('socket', (s: Socket) => {
      if (sockets.has(s)) return;
      sockets.add(s);
      s.once('close', () => {
        closedBytes += s.bytesRead + s.bytesWritten;
        sockets.delete(s);
      });
    });
    req.on('error', () => {
      inFlight = undefined;
      p.errors++;
    });
    req.end();
  };
  let timer: NodeJS.Timeout | undefined;
  // Clients start at random phases, as independent browsers would.
  const phase = setTimeout(() => {
    poll();
    timer = setInterval(poll, everyMs);
  }, Math.random() * everyMs);
  return p;
}

async function runMode(mode: (typeof MODES)[number], sets: string[][]): Promise<ModeResult> {
  const server: RunningServer = await startServer('tickerboard', { tickRate: TICK_RATE });
  const tally = new Tally();
  const timeline = new Timeline();
  const sightings: Sighting[] = [];
  const streams: StreamClient[] = [];
  const pollers: Poller[] = [];
  let observer: StreamClient | undefined;
  try {
    observer = new StreamClient(server.url, 'socketio', new Tally());
    observer.onTick = (sym, seq, ts) => timeline.record(sym, seq, ts);
    await observer.connect();
    await observer.subscribe({ symbols: [...new Set(sets.flat())] });

    let recording = false;
    const seen = (client: number, sym: number, seq: number, at: number): void => {
      if (recording) sightings.push({ client, sym, seq, at });
    };
    if (mode.pollMs) {
      sets.forEach((set, i) =>
        pollers.push(
          startPoller(server.url, set, mode.pollMs as number, (sym, seq, at) =>
            seen(i, sym, seq, at),
          ),
        ),
      );
    } else {
      const opened = await inPool(sets.length, 50, async (i) => {
        const c = new StreamClient(server.url, 'socketio', tally, !mode.conflateMs);
        c.onTick = (sym, seq, _ts, at) => seen(i, sym, seq, at);
        await c.connect();
        await c.subscribe({
          symbols: sets[i],
          ...(mode.conflateMs ? { mode: 'conflated', throttleMs: mode.conflateMs } : {}),
        });
        return c;
      });
      streams.push(...opened);
    }
    await sleep(WARMUP_MS);
    const bytes = (): number =>
      pollers.reduce((n, p) => n + p.bytes(), 0) + streams.reduce((n, c) => n + c.wireBytes(), 0);
    recording = true;
    const t0 = Date.now();
    const b0 = bytes();
    const cpu0 = server.cpuMicros();
    const self0 = procCpuMicros(process.pid);
    await sleep(WINDOW_MS);
    const t1 = Date.now();
    const seconds = (t1 - t0) / 1000;
    const wire = bytes() - b0;
    const cpu = server.cpuMicros() - cpu0;
    const self = procCpuMicros(process.pid) - self0;
    // Changes made near the end are seen after it: keep watching for one more poll interval.
    await sleep((mode.pollMs ?? 250) + 500);
    recording = false;

    const stale = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000 });
    const heldUpTo = new Map<string, number>();
    let changes = 0;
    for (const s of sightings.sort((a, b) => a.at - b.at)) {
      const key = `${s.client}:${s.sym}`;
      const from = heldUpTo.get(key);
      if (from === undefined) {
        // First sighting in the window: only later changes have a known starting point.
        heldUpTo.set(key, s.seq);
        continue;
      }
      for (let k = from + 1; k <= s.seq; k++) {
        const ts = timeline.get(s.sym, k);
        if (ts === undefined || ts < t0 || ts > t1) continue;
        stale.recordValue(Math.max(0, s.at - ts));
        changes++;
      }
      if (s.seq > from) heldUpTo.set(key, s.seq);
    }
    // Changes in the window that a client never came to hold.
    let unseen = 0;
    sets.forEach((set, c) => {
      for (const symbol of set) {
        const sym = SYMBOL_INDEX.get(symbol) as number;
        const held = heldUpTo.get(`${c}:${sym}`);
        if (held === undefined) continue;
        for (let k = held + 1; timeline.get(sym, k) !== undefined; k++) {
          const ts = timeline.get(sym, k) as number;
          if (ts >= t0 && ts <= t1) unseen++;
        }
      }
    });
    return {
      id: mode.id,
      label: mode.label,
      bytesPerClientPerMin: wire / sets.length / (seconds / 60),
      serverCpuPct: (cpu / 1e6 / seconds) * 100,
      serverCpuMsPerClientPerMin: cpu / 1000 / sets.length / (seconds / 60),
      clientCpuPct: (self / 1e6 / seconds) * 100,
      staleP50: stale.getValueAtPercentile(50),
      staleP99: stale.getValueAtPercentile(99),
      changes,
      unseen,
      requests: pollers.reduce((n, p) => n + p.requests, 0),
      skippedPolls: pollers.reduce((n, p) => n + p.skipped, 0),
      errors:
        pollers.reduce((n, p) => n + p.errors, 0) +
        streams.filter((c) => c.closedUnexpectedly).length,
      lost: tally.totalLost,
    };
  } finally {
    for (const p of pollers) p.stop();
    for (const c of streams) c.close();
    observer?.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  pinSelf(CLIENT_CORE);
  const machine = machineLine();
  const noisy = isNoisy();
  log(`poll-vs-push benchmark${QUICK ? ' (quick)' : ''}: ${machine}`);
  if (!flags['no-build']) {
    log('building Tickerboard (nest build)...');
    buildTickerboard();
  }
  const sets = symbolSets();
  const results: ModeResult[] = [];
  for (const mode of MODES) {
    const r = await runMode(mode, sets);
    results.push(r);
    log(
      `${r.label}: ${fmt(r.bytesPerClientPerMin)} B/client/min, server ${fmt(r.serverCpuPct, 1)}%,` +
        ` staleness p50 ${r.staleP50} p99 ${r.staleP99} ms over ${fmt(r.changes)} changes` +
        ` (unseen ${r.unseen}, skipped polls ${r.skippedPolls}, errors ${r.errors}, lost ${r.lost})`,
    );
  }
  const subtitle = `${CLIENTS} clients x ${SYMBOLS_PER_CLIENT} symbols, TICK_RATE ${TICK_RATE}, ${WINDOW_MS / 1000} s per mode; ${machine}`;
  const svg = renderChart('Tickerboard: polling versus push', subtitle, [
    {
      title: 'Bytes on the wire per client per minute',
      unit: 'bytes, both directions',
      series: ['bytes'],
      rows: results.map((r) => ({ label: r.label, values: [r.bytesPerClientPerMin] })),
      log: true,
    },
    {
      title: 'Server CPU',
      unit: '% of one core',
      series: ['CPU'],
      rows: results.map((r) => ({ label: r.label, values: [r.serverCpuPct] })),
    },
    {
      title: 'Staleness: price change to client',
      unit: 'ms',
      series: ['p50', 'p99'],
      rows: results.map((r) => ({ label: r.label, values: [r.staleP50, r.staleP99] })),
    },
  ]);
  const body = [
    `Machine: ${machine}${noisy ? ' — **noisy run** (loadavg above 1.5)' : ''}.`,
    `Command: \`npm run bench:poll-vs-push\` (${QUICK ? 'quick smoke' : 'full'} run). Chart: [docs/poll-vs-push.svg](../docs/poll-vs-push.svg).`,
    [
      `How: ${CLIENTS} clients each watch ${SYMBOLS_PER_CLIENT} symbols (a fixed seeded draw from the catalog) on`,
      `Tickerboard as built, TICK_RATE=${TICK_RATE}, alone on core 0; the clients run on core 1. Pollers call`,
      '`GET /api/quotes/latest?symbols=...` over their own keep-alive connection at random phases and',
      'skip a beat while a request is in flight; push clients subscribe over Socket.IO. Each mode gets a',
      `fresh server, ${WARMUP_MS / 1000} s of warm-up and ${WINDOW_MS / 1000} s measured. Bytes are TCP payload both ways`,
      '(HTTP headers and WebSocket framing included, TCP/IP headers not). Staleness is, for every price',
      'change made in the window, the time until the client held that price or a newer one; change',
      'times come from one extra full-stream observer client present in every mode.',
    ].join('\n'),
    table(
      [
        'mode',
        'bytes/client/min',
        'server CPU %',
        'server CPU ms/client/min',
        'staleness p50 ms',
        'staleness p99 ms',
        'changes measured',
        'changes never seen',
        'requests',
        'skipped polls',
        'client CPU %',
      ],
      results.map((r) => [
        r.label,
        fmt(r.bytesPerClientPerMin),
        fmt(r.serverCpuPct, 1),
        fmt(r.serverCpuMsPerClientPerMin, 1),
        fmt(r.staleP50),
        fmt(r.staleP99),
        fmt(r.changes),
        fmt(r.unseen),
        fmt(r.requests),
        fmt(r.skippedPolls),
        fmt(r.clientCpuPct),
      ]),
    ),
  ].join('\n\n');
  const out = saveJson(QUICK ? 'poll-vs-push-quick' : 'poll-vs-push', {
    machine,
    results,
    loadAfter: loadavg1(),
  });
  process.stdout.write(`\n${body}\n\nraw figures: ${out}\n`);
  if (!QUICK && !flags['no-write']) {
    writeFileSync(CHART, svg);
    writeSection('## Polling versus push (npm run bench:poll-vs-push)', body);
  } else {
    writeFileSync(out.replace(/\.json$/, '.svg'), svg);
  }
  const broken = results.filter((r) => r.errors > 0 || r.lost > 0 || r.changes === 0);
  if (broken.length) {
    for (const r of broken) log(`broken: ${r.label}: errors ${r.errors}, lost ${r.lost}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
