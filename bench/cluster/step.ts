// One cluster step: nats-server, a fresh database and N nodes on the server core (or today's single
// process), the load generator on the other core, warm-up and one measured window; or the failover
// step, which kills the leader with clients attached.
import { LoadGen as Channel } from '../lib/loadgen-channel';
import { join } from 'node:path';
import { FEED_LEASE_TTL_MS } from '../../src/cluster/feed-lease';
import { DEFAULTS } from '../../src/config/defaults';
import { procCpuMicros, procSysMicros, sleep, spawnPinned, stopGroup } from '../lib/proc';
import {
  CLIENT_CORE,
  ROOT,
  SERVER_CORE,
  startServer,
  TSX_ENV,
  type RunningServer,
} from '../lib/server';
import {
  coreBusyMicros,
  createDatabase,
  getJson,
  PidSet,
  startBalancer,
  startNats,
  streamLag,
  type Balancer,
  waitReady,
  type Database,
  type Nats,
} from './infra';
import type {
  ClusterLoadCommand,
  ClusterLoadEvent,
  ClusterWindow,
  FailoverReport,
} from './loadgen';

const LOADGEN = join(ROOT, 'bench', 'cluster', 'loadgen.ts');
/** The feed lease's TTL; the failover target is TTL + 5 s. */
export const LEASE_TTL_MS = FEED_LEASE_TTL_MS;

export type StepKind = 'single' | 'single-pg' | 'cluster' | 'failover';

export interface StepConfig {
  id: string;
  kind: StepKind;
  nodes: number;
  tickRate: number;
  sets: string[][];
  warmupMs: number;
  measureMs: number;
  /** Failover: how long to watch after the kill. */
  observeMs: number;
  /** Before any client connects: how long to measure each process's CPU with the feed running. */
  idleMs: number;
  /** Clients connect through HAProxy with this config (deploy/haproxy.cfg) instead of directly. */
  balancer?: string;
}

export interface ProcCpu {
  name: string;
  cpuMicros: number;
  sysMicros?: number;
  /** % of a core with the feed running and no client connected (bus consumption, feed, store). */
  idlePct?: number;
}

export interface StepResult {
  id: string;
  kind: StepKind;
  nodes: number;
  tickRate: number;
  clients: number;
  error?: string;
  /** Why the step was not run (e.g. no balancer config). */
  skipped?: string;
  /** Shown instead of the step's usual label (a step taken from another run). */
  label?: string;
  seconds?: number;
  window?: ClusterWindow;
  procs?: ProcCpu[];
  /** Sum over node processes, nats-server and the database's backends. */
  cpuMicros?: number;
  genCpuPct?: number;
  pgBackends?: number;
  pgBackendsVanished?: number;
  lagAtEnd?: (number | undefined)[];
  /** Per core, % busy during the window (all processes on the machine, not only this run's). */
  coreBusyPct?: number[];
  /** Core 0's busy time not spent by this run's server processes: other work sharing the core. */
  foreignCore0Pct?: number;
  leader?: string | null;
  connectMs?: number;
  failover?: FailoverResult;
}

export interface FailoverResult {
  killed: string;
  killedIndex: number;
  newLeader: string | null;
  /** Kill to a survivor's /api/cluster naming a new leader. */
  electedMs?: number;
  report?: FailoverReport;
  store?: {
    symbols: number;
    rows: number;
    duplicates: number;
    holes: number;
    /** Highest seq a client saw, summed over symbols, minus the store's: unwritten at the check. */
    behindClients: number;
    /** How long after the watch the store first held every tick a client saw; null: not in 30 s. */
    storeCaughtUpMs?: number | null;
  };
}

type LoadGen = Channel<ClusterLoadCommand, ClusterLoadEvent>;

interface Rig {
  nodes: RunningServer[];
  nodeIds: string[];
  nats?: Nats;
  db?: Database;
}

async function startRig(cfg: StepConfig): Promise<Rig> {
  const rig: Rig = { nodes: [], nodeIds: [] };
  try {
    if (cfg.kind === 'single' || cfg.kind === 'single-pg') {
      if (cfg.kind === 'single-pg') rig.db = await createDatabase(cfg.id, SERVER_CORE);
      const env: Record<string, string> = rig.db ? { DATABASE_URL: rig.db.url } : {};
      rig.nodes.push(await startServer('tickerboard', { tickRate: cfg.tickRate, env }));
      rig.nodeIds.push('single');
      await waitReady(rig.nodes[0].url, 60_000);
      return rig;
    }
    rig.nats = await startNats(SERVER_CORE);
    rig.db = await createDatabase(cfg.id, SERVER_CORE);
    for (let i = 0; i < cfg.nodes; i++) {
      const id = `node-${i}`;
      rig.nodes.push(
        await startServer('tickerboard', {
          tickRate: cfg.tickRate,
          env: {
            NATS_URL: rig.nats.url,
            DATABASE_URL: rig.db.url,
            NODE_ID: id,
            FEED: 'auto',
          },
        }),
      );
      rig.nodeIds.push(id);
      // One at a time: the first takes the lease, the others join a running stream.
      await waitReady(rig.nodes[i].url, 60_000, `(${id})`);
    }
    return rig;
  } catch (err) {
    await stopRig(rig);
    throw err;
  }
}

async function stopRig(rig: Rig): Promise<void> {
  await Promise.all(rig.nodes.map((n) => n.stop()));
  await rig.nats?.stop();
  await rig.db?.drop().catch(() => undefined);
}

/** Each server process's CPU, % of a core, over `ms` with the feed running and no clients. */
async function measureIdle(
  rig: Rig,
  ms: number,
): Promise<{ nodes: number[]; nats?: number; pg?: number }> {
  if (ms <= 0) return { nodes: [] };
  // Let the last node to start settle (JIT, pools) so that the window holds steady-state work.
  await sleep(2000);
  const pg = new PidSet();
  if (rig.db) pg.add(await rig.db.backends());
  const n0 = rig.nodes.map((n) => n.cpuMicros());
  const nats0 = rig.nats?.cpuMicros() ?? 0;
  const t0 = performance.now();
  await sleep(ms);
  const us = (performance.now() - t0) * 1000;
  return {
    nodes: rig.nodes.map((n, i) => ((n.cpuMicros() - n0[i]) / us) * 100),
    nats: rig.nats ? ((rig.nats.cpuMicros() - nats0) / us) * 100 : undefined,
    pg: rig.db ? (pg.used() / us) * 100 : undefined,
  };
}

async function leaderOf(url: string): Promise<string | null | undefined> {
  try {
    return (await getJson<{ leader: string | null }>(`${url}/api/cluster`)).body.leader;
  } catch {
    return undefined;
  }
}

export async function runStep(cfg: StepConfig): Promise<StepResult> {
  const base: StepResult = {
    id: cfg.id,
    kind: cfg.kind,
    nodes: cfg.nodes,
    tickRate: cfg.tickRate,
    clients: cfg.sets.length,
  };
  let rig: Rig;
  try {
    rig = await startRig(cfg);
  } catch (err) {
    return { ...base, error: String(err).slice(0, 2000) };
  }
  let gen: LoadGen | undefined;
  let lb: Balancer | undefined;
  try {
    if (cfg.balancer)
      lb = await startBalancer(
        SERVER_CORE,
        cfg.balancer,
        rig.nodes.map((n) => `127.0.0.1:${n.port}`),
      );
    const idle = await measureIdle(rig, cfg.idleMs);
    gen = new Channel<ClusterLoadCommand, ClusterLoadEvent>(
      spawnPinned(CLIENT_CORE, ['--import', 'tsx', LOADGEN], TSX_ENV),
    );
    await gen.next('ready', 30_000);
    const urls = rig.nodes.map((n) => n.url);
    gen.send({
      cmd: 'connect',
      urls: lb ? [lb.url] : urls,
      nodeIds: lb ? rig.nodeIds : undefined,
      sets: cfg.sets,
      concurrency: 100,
    });
    const connected = await gen.next('connected', 180_000);
    if (connected.failed > 0)
      throw new Error(`${connected.failed} clients failed to connect: ${connected.firstError}`);
    gen.send({ cmd: 'subscribe', concurrency: 200 });
    const subscribed = await gen.next('subscribed', 180_000);
    if (subscribed.failed > 0)
      throw new Error(`${subscribed.failed} subscriptions failed: ${subscribed.firstError}`);
    await sleep(cfg.warmupMs);
    const leader = rig.nats ? await leaderOf(urls[0]) : undefined;
    if (cfg.kind === 'failover') return { ...base, ...(await failover(cfg, rig, gen, leader)) };

    const pg = new PidSet();
    if (rig.db) pg.add(await rig.db.backends());
    gen.send({ cmd: 'window-start' });
    await gen.next('window-started', 30_000);
    const t0 = performance.now();
    const cpu0 = rig.nodes.map((n) => n.cpuMicros());
    const sys0 = rig.nodes.map((n) => n.sysMicros());
    const nats0 = rig.nats?.cpuMicros() ?? 0;
    const lb0 = lb?.cpuMicros() ?? 0;
    const natsSys0 = rig.nats ? procSysMicros(rig.nats.pid) : 0;
    const gen0 = procCpuMicros(gen.proc.pid);
    const cores0 = coreBusyMicros();
    // Backends the pools open during the window count from when they are first seen.
    const poll = setInterval(() => {
      if (rig.db)
        void rig.db.backends().then(
          (p) => pg.add(p),
          () => undefined,
        );
    }, 1000);
    await sleep(cfg.measureMs);
    clearInterval(poll);
    gen.send({ cmd: 'window-end' });
    const cpu = rig.nodes.map((n, i) => n.cpuMicros() - cpu0[i]);
    const sys = rig.nodes.map((n, i) => n.sysMicros() - sys0[i]);
    const natsCpu = (rig.nats?.cpuMicros() ?? 0) - nats0;
    const lbCpu = (lb?.cpuMicros() ?? 0) - lb0;
    const natsSys = rig.nats ? procSysMicros(rig.nats.pid) - natsSys0 : 0;
    const pgCpu = pg.used();
    const seconds = (performance.now() - t0) / 1000;
    const coreBusy = coreBusyMicros().map((b, i) => ((b - cores0[i]) / (seconds * 1e6)) * 100);
    const genCpu = procCpuMicros(gen.proc.pid) - gen0;
    const { stats } = await gen.next('window', 60_000);
    const procs: ProcCpu[] = rig.nodes.map((_, i) => ({
      name: rig.nodeIds[i] + (leader === rig.nodeIds[i] ? ' (leader)' : ''),
      cpuMicros: cpu[i],
      sysMicros: sys[i],
      idlePct: idle.nodes[i],
    }));
    if (rig.nats)
      procs.push({
        name: 'nats-server',
        cpuMicros: natsCpu,
        sysMicros: natsSys,
        idlePct: idle.nats,
      });
    if (rig.db)
      procs.push({ name: `PostgreSQL backends (${pg.size})`, cpuMicros: pgCpu, idlePct: idle.pg });
    if (lb) procs.push({ name: 'haproxy', cpuMicros: lbCpu });
    const ours = procs.reduce((s, p) => s + p.cpuMicros, 0);
    return {
      ...base,
      seconds,
      window: stats,
      procs,
      coreBusyPct: coreBusy,
      foreignCore0Pct: Math.max(0, coreBusy[SERVER_CORE] - (ours / (seconds * 1e6)) * 100),
      cpuMicros: procs.reduce((s, p) => s + p.cpuMicros, 0),
      genCpuPct: (genCpu / (seconds * 1e6)) * 100,
      pgBackends: pg.size,
      pgBackendsVanished: pg.vanished,
      lagAtEnd: rig.nats ? await Promise.all(urls.map(streamLag)) : undefined,
      leader,
      connectMs: connected.ms,
    };
  } catch (err) {
    return { ...base, error: String(err instanceof Error ? err.message : err).slice(0, 2000) };
  } finally {
    if (gen) {
      if (gen.proc.child.connected) gen.send({ cmd: 'exit' });
      await Promise.race([gen.proc.exited, sleep(3000)]);
      await stopGroup(gen.proc, 3000);
    }
    await lb?.stop();
    await stopRig(rig);
  }
}

async function failover(
  cfg: StepConfig,
  rig: Rig,
  gen: LoadGen,
  leader: string | null | undefined,
): Promise<Partial<StepResult>> {
  const killedIndex = rig.nodeIds.indexOf(leader ?? '');
  if (killedIndex < 0) throw new Error(`no leader to kill: /api/cluster said ${leader}`);
  const survivors = rig.nodes.filter((_, i) => i !== killedIndex);
  gen.send({ cmd: 'failover-arm', checkReuse: true });
  await gen.next('armed', 10_000);
  gen.send({ cmd: 'window-start' });
  await gen.next('window-started', 30_000);
  // A second of normal flow before the kill, so every client has a "last tick before".
  await sleep(1000);
  const killedAt = Date.now();
  process.kill(-rig.nodes[killedIndex].proc.pid, 'SIGKILL');
  gen.send({
    cmd: 'reconnect',
    dead: killedIndex,
    urls: survivors.map((n) => n.url),
    concurrency: 100,
    waitMs: 10_000,
  });
  let newLeader: string | null = null;
  let electedMs: number | undefined;
  while (Date.now() - killedAt < cfg.observeMs) {
    if (electedMs === undefined) {
      const l = await leaderOf(survivors[0].url);
      if (l && l !== leader) {
        newLeader = l;
        electedMs = Date.now() - killedAt;
      }
    }
    await sleep(100);
  }
  await gen.next('reconnected', 60_000);
  const watched = Date.now() - killedAt;
  gen.send({ cmd: 'window-end' });
  const { stats } = await gen.next('window', 60_000);
  gen.send({ cmd: 'failover-report', killedAt });
  const { report } = await gen.next('failover', 60_000);
  // Give the new leader's store writer up to 30 s to hold every tick a client saw, then stop the
  // survivors as an operator would (SIGTERM) and read the store.
  let storeCaughtUpMs: number | null = null;
  if (rig.db) {
    const t0 = Date.now();
    while (Date.now() - t0 < 30_000) {
      const rows = await rig.db.tickRows();
      const behind = Object.entries(stats.maxSeq).some(
        ([symbol, seen]) => (rows.get(symbol)?.max ?? 0) < seen,
      );
      if (!behind) {
        storeCaughtUpMs = Date.now() - t0;
        break;
      }
      await sleep(500);
    }
  }
  for (const n of survivors) await n.stop();
  let store: FailoverResult['store'];
  if (rig.db) {
    const rows = await rig.db.tickRows();
    let total = 0;
    let duplicates = 0;
    let holes = 0;
    let behindClients = 0;
    for (const r of rows.values()) {
      total += r.rows;
      duplicates += r.rows - r.distinct;
      // A fresh stream starts every symbol at seq 1.
      holes += r.max - r.distinct;
    }
    for (const [symbol, seen] of Object.entries(stats.maxSeq))
      behindClients += Math.max(0, seen - (rows.get(symbol)?.max ?? 0));
    store = { symbols: rows.size, rows: total, duplicates, holes, behindClients, storeCaughtUpMs };
  }
  return {
    seconds: watched / 1000,
    window: stats,
    leader,
    failover: {
      killed: leader ?? '?',
      killedIndex,
      newLeader,
      electedMs,
      report,
      store,
    },
  };
}

export const DEFAULT_TICK_RATE = DEFAULTS.tickRate;
