// The servers under test: Tickerboard as built (A) and the baselines (B-D), all pinned to core 0 and
// driven by the same simulator settings, with the probe preloaded for heap and event-loop delay.
import { spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DEFAULTS } from '../../src/config/defaults';
import { benchServerEnv } from './auth';
import {
  freePort,
  procCpuMicros,
  procRssBytes,
  procSysMicros,
  spawnPinned,
  stopGroup,
  waitForPort,
  type Pinned,
} from './proc';

export const ROOT = resolve(__dirname, '..', '..');
const PROBE = join(ROOT, 'bench', 'lib', 'probe.mjs');
export const SERVER_CORE = 0;
/** tsx applies a tsconfig only to the files it includes; this one includes bench/ (decorators). */
export const TSX_ENV = { TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.spec.json') };
export const CLIENT_CORE = 1;

export type ServerKind =
  'tickerboard' | 'tickerboard-compact' | 'nest-per-tick' | 'socketio-per-tick' | 'ws-batched';

export const SERVER_LABELS: Record<ServerKind, string> = {
  tickerboard: 'A Tickerboard (as shipped)',
  'tickerboard-compact': "A' Tickerboard, clients subscribed with encoding 'compact'",
  'nest-per-tick': 'B NestJS gateway, per-tick room emit',
  'socketio-per-tick': 'C raw socket.io, per-tick room emit',
  'ws-batched': 'D raw ws, one pre-encoded frame per batch',
};

export interface ProbeReading {
  heapUsed: number;
  rss: number;
  external: number;
  eldP99Ms: number;
  eldMaxMs: number;
  /** GC pauses since the last reset (count, total and longest, how many over 30 ms, major ones). */
  gc?: { count: number; ms: number; maxMs: number; over30: number; major: number; majorMs: number };
}

export interface RunningServer {
  kind: ServerKind;
  port: number;
  url: string;
  proc: Pinned;
  cpuMicros(): number;
  /** The kernel's part of cpuMicros(). */
  sysMicros(): number;
  rssBytes(): number;
  probe(opts?: { gc?: boolean; reset?: boolean }): Promise<ProbeReading | undefined>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  tickRate: number;
  seed?: number;
  batchMs?: number;
  /** Tickerboard only: its env beyond the defaults here. */
  env?: Record<string, string>;
}

/**
 * Where the harnesses build Tickerboard: the shipped build settings (tsconfig.build.json through
 * `nest build`), but a private output directory, so that another build deleting dist/ mid-run
 * cannot pull the server out from under a benchmark.
 */
export const APP_DIR = join(ROOT, 'bench', 'out', 'app');

export function buildTickerboard(): void {
  mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
  const tsconfig = join(ROOT, 'bench', 'out', 'tsconfig.bench-build.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.build.json'),
      compilerOptions: {
        outDir: APP_DIR,
        tsBuildInfoFile: join(ROOT, 'bench', 'out', 'app.tsbuildinfo'),
      },
    }),
  );
  rmSync(APP_DIR, { recursive: true, force: true });
  rmSync(join(ROOT, 'bench', 'out', 'app.tsbuildinfo'), { force: true });
  const out = spawnSync('npx', ['nest', 'build', '--path', relative(ROOT, tsconfig)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (out.status !== 0 || !existsSync(join(APP_DIR, 'main.js')))
    throw new Error(`nest build failed:\n${out.stdout}\n${out.stderr}`);
}

/** Tickerboard itself (the same server, whichever encoding its clients ask for). */
export function isTickerboard(kind: ServerKind): boolean {
  return kind === 'tickerboard' || kind === 'tickerboard-compact';
}

/** The tick encoding the load generator's clients subscribe with for `kind`. */
export function clientEncoding(kind: ServerKind): 'json' | 'compact' {
  return kind === 'tickerboard-compact' ? 'compact' : 'json';
}

/** Starts a server; one retry covers a port taken between choosing it and listening on it. */
export async function startServer(kind: ServerKind, opts: ServerOptions): Promise<RunningServer> {
  try {
    return await startServerOnce(kind, opts);
  } catch (err) {
    process.stderr.write(`  ${kind} did not start, retrying once: ${String(err).slice(0, 300)}\n`);
    return startServerOnce(kind, opts);
  }
}

async function startServerOnce(kind: ServerKind, opts: ServerOptions): Promise<RunningServer> {
  const port = await freePort();
  const seed = String(opts.seed ?? DEFAULTS.seed);
  const common = { PORT: String(port), TICK_RATE: String(opts.tickRate), SEED: seed };
  let dataDir: string | undefined;
  let proc: Pinned;
  // BENCH_SERVER_NODE_ARGS: extra flags for the server under test, e.g. `--cpu-prof`.
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const nodeFlags = [...extra, '--expose-gc', '--import', PROBE];
  if (isTickerboard(kind)) {
    dataDir = mkdtempSync(join(tmpdir(), 'tickerboard-bench-'));
    proc = spawnPinned(SERVER_CORE, [...nodeFlags, join(APP_DIR, 'main.js')], {
      ...common,
      HOST: '127.0.0.1',
      CLIENT: 'off',
      BACKFILL: 'false',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      ...benchServerEnv(),
      ...(opts.batchMs !== undefined ? { BATCH_MS: String(opts.batchMs) } : {}),
      ...opts.env,
    });
  } else {
    const script = join(ROOT, 'bench', 'fanout', 'servers', `${kind}.ts`);
    proc = spawnPinned(SERVER_CORE, ['--import', 'tsx', ...nodeFlags, script], {
      ...common,
      ...TSX_ENV,
      BATCH_MS: String(opts.batchMs ?? DEFAULTS.batchMs),
    });
  }
  // BENCH_SERVER_LOG: a file that gets the server's output, e.g. with `--trace-gc` above.
  if (process.env.BENCH_SERVER_LOG) {
    const log = createWriteStream(process.env.BENCH_SERVER_LOG, { flags: 'a' });
    proc.child.stdout?.pipe(log);
    proc.child.stderr?.pipe(log);
  }
  let nextId = 1;
  const waiting = new Map<number, (r: ProbeReading) => void>();
  proc.child.on('message', (msg: ProbeReading & { probe?: boolean; id?: number }) => {
    if (msg?.probe && msg.id !== undefined) waiting.get(msg.id)?.(msg);
  });
  const stop = async (): Promise<void> => {
    await stopGroup(proc);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 60_000, proc);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    kind,
    port,
    url: `http://127.0.0.1:${port}`,
    proc,
    cpuMicros: () => procCpuMicros(proc.pid),
    sysMicros: () => procSysMicros(proc.pid),
    rssBytes: () => procRssBytes(proc.pid),
    probe: (o = {}) =>
      new Promise((resolve) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve(undefined);
        }, 5000);
        waiting.set(id, (r) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(r);
        });
        if (!proc.child.connected) return resolve(undefined);
        proc.child.send({ probe: true, id, ...o });
      }),
    stop,
  };
}
