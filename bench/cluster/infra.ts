// What a cluster step runs besides the nodes: its own nats-server (pinned with the nodes), a fresh
// PostgreSQL database, and the accounting of both (nats-server's /proc, the database's backends).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { authHeaders } from '../lib/auth';
import { freePort, procCpuMicros, sleep, waitForPort } from '../lib/proc';

const NATS_SERVER = process.env.BENCH_NATS_SERVER ?? '/usr/sbin/nats-server';
const HAPROXY = process.env.BENCH_HAPROXY ?? '/usr/sbin/haproxy';
const PG_ADMIN = process.env.BENCH_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of started) if (c.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
});

export interface Nats {
  url: string;
  pid: number;
  cpuMicros(): number;
  stop(): Promise<void>;
}

/** A nats-server with JetStream in a temporary store directory, on `core`. */
export async function startNats(core: number): Promise<Nats> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tickerboard-bench-nats-'));
  const child = spawn(
    'taskset',
    ['-c', String(core), NATS_SERVER, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error('could not start nats-server');
  started.add(child);
  let tail = '';
  child.stderr?.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await waitForPort(port, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${String(err)}\n${tail}`, { cause: err });
  }
  const pid = child.pid;
  return {
    url: `nats://127.0.0.1:${port}`,
    pid,
    cpuMicros: () => procCpuMicros(pid),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      started.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function admin<T>(fn: (c: Client) => Promise<T>, url = PG_ADMIN): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface Database {
  name: string;
  url: string;
  /** PIDs of the server backends connected to this database (the nodes' pools), pinned to `core`. */
  backends(): Promise<number[]>;
  /** Per symbol: rows, distinct seqs, lowest and highest seq in the ticks table. */
  tickRows(): Promise<Map<string, { rows: number; distinct: number; min: number; max: number }>>;
  drop(): Promise<void>;
}

export async function createDatabase(label: string, core: number): Promise<Database> {
  const name = `tb_bench_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
  return {
    name,
    url,
    backends: async () => {
      const r = await admin((c) =>
        c.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        ),
      );
      const pids = r.rows.map((x) => Number(x.pid));
      for (const pid of pids)
        spawnSync('taskset', ['-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
      return pids;
    },
    tickRows: async () => {
      const r = await admin(
        (c) =>
          c.query<{ symbol: string; rows: string; d: string; lo: string; hi: string }>(
            'SELECT symbol, count(*) AS rows, count(DISTINCT seq) AS d, min(seq) AS lo, max(seq) AS hi FROM ticks GROUP BY symbol',
          ),
        url,
      );
      return new Map(
        r.rows.map((x) => [
          x.symbol,
          { rows: Number(x.rows), distinct: Number(x.d), min: Number(x.lo), max: Number(x.hi) },
        ]),
      );
    },
    drop: async () => {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** CPU of a set of processes that may come and go: each pid's use since it was first seen. */
export class PidSet {
  private readonly base = new Map<number, number>();
  private readonly last = new Map<number, number>();
  vanished = 0;

  /** Records a baseline for `pids` not seen before; pids gone since keep their last reading. */
  add(pids: number[]): void {
    for (const pid of pids) {
      if (this.base.has(pid)) continue;
      const now = safeCpu(pid);
      if (now === undefined) continue;
      this.base.set(pid, now);
      this.last.set(pid, now);
    }
  }

  /** Microseconds used since the baselines, as far as /proc still shows them. */
  used(): number {
    let sum = 0;
    for (const [pid, b] of this.base) {
      const now = safeCpu(pid);
      if (now === undefined) this.vanished++;
      else this.last.set(pid, now);
      sum += (this.last.get(pid) ?? b) - b;
    }
    return sum;
  }

  get size(): number {
    return this.base.size;
  }
}

function safeCpu(pid: number): number | undefined {
  try {
    return procCpuMicros(pid);
  } catch {
    return undefined;
  }
}

export async function getJson<T>(
  url: string,
  timeoutMs = 2000,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: authHeaders() });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics)
  }
  return { status: res.status, body: body as T };
}

/** Waits until GET /api/health/ready answers 200. */
export async function waitReady(baseUrl: string, timeoutMs: number, why = ''): Promise<number> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    try {
      const r = await getJson<unknown>(`${baseUrl}/api/health/ready`);
      if (r.status === 200) return Date.now() - t0;
      last = JSON.stringify(r.body);
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  throw new Error(`${baseUrl} not ready within ${timeoutMs} ms ${why}: ${last}`);
}

/** tickerboard_feed_stream_lag (or the first *_lag gauge) from /api/metrics. */
export async function streamLag(baseUrl: string): Promise<number | undefined> {
  try {
    const r = await getJson<string>(`${baseUrl}/api/metrics`);
    const m = /^tickerboard_feed_stream_lag(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(String(r.body));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Busy (non-idle, non-iowait) jiffies per core from /proc/stat, in microseconds. */
export function coreBusyMicros(): number[] {
  const hz = 100; // /proc/stat counts USER_HZ, 100 on Linux
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => {
      const f = l.split(/\s+/).slice(1).map(Number);
      // user nice system idle iowait irq softirq steal
      const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
      return (busy * 1e6) / hz;
    });
}

export interface Balancer {
  url: string;
  pid: number;
  cpuMicros(): number;
  stop(): Promise<void>;
}

/**
 * HAProxy with the project's config (deploy/haproxy.cfg: nodes from TB_NODE1..6), on `core`, its
 * public and stats ports on loopback; resolves once every node is UP in its sockets backend.
 */
export async function startBalancer(
  core: number,
  config: string,
  nodeAddrs: string[],
): Promise<Balancer> {
  const port = await freePort();
  const stats = await freePort();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TB_LISTEN: `127.0.0.1:${port}`,
    TB_STATS: `127.0.0.1:${stats}`,
    TB_LOG_LEVEL: 'notice',
    // 2 descriptors per connection must fit under the file limit (20,000 here): 2,000 clients need
    // 4,000.
    TB_MAXCONN: '8000',
  };
  nodeAddrs.forEach((a, i) => (env[`TB_NODE${i + 1}`] = a));
  const child = spawn('taskset', ['-c', String(core), HAPROXY, '-f', config, '-db'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start haproxy');
  started.add(child);
  let tail = '';
  child.stderr?.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pid = child.pid;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    started.delete(child);
  };
  try {
    await waitForPort(port, 10_000);
    const t0 = Date.now();
    for (;;) {
      const csv = await getJson<string>(`http://127.0.0.1:${stats}/;csv`).catch(() => undefined);
      const up = String(csv?.body ?? '')
        .split('\n')
        .filter((l) => l.startsWith('sockets,node') && l.split(',')[17] === 'UP').length;
      if (up === nodeAddrs.length) break;
      if (Date.now() - t0 > 20_000)
        throw new Error(`haproxy: ${up} of ${nodeAddrs.length} nodes UP after 20 s\n${tail}`);
      await sleep(200);
    }
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\nhaproxy: ${tail}`, { cause: err });
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    cpuMicros: () => procCpuMicros(pid),
    stop,
  };
}
