// One fan-out step: a fresh server at one offered rate, the load generator on the other core,
// warm-up, one measured window.
import { LoadGen as Channel } from '../lib/loadgen-channel';
import { join } from 'node:path';
import { clientRate } from '../lib/feed-model';
import { procCpuMicros, sleep, spawnPinned, stopGroup } from '../lib/proc';
import {
  CLIENT_CORE,
  clientEncoding,
  ROOT,
  startServer,
  TSX_ENV,
  type ProbeReading,
  type RunningServer,
  type ServerKind,
} from '../lib/server';
import { failed, judge, type StepResult } from './judge';
import type { LoadCommand, LoadEvent } from './loadgen';
import { symbolSets, type Scenario } from './scenarios';

const LOADGEN = join(ROOT, 'bench', 'fanout', 'loadgen.ts');

export interface StepTiming {
  warmupMs: number;
  measureMs: number;
}

type LoadGen = Channel<LoadCommand, LoadEvent>;

/** A server with the scenario's clients connected and subscribed, warmed up. */
export interface Session {
  server: RunningServer;
  gen: LoadGen;
  connectMs: number;
  idle?: StepResult['idle'];
}

/**
 * Starts `kind` at `rate` (its env beyond the defaults: `env`), opens the scenario's clients on the
 * other core and subscribes them. On failure everything it started is stopped.
 */
export async function openSession(
  s: Scenario,
  kind: ServerKind,
  rate: number,
  env?: Record<string, string>,
): Promise<Session> {
  const sets = symbolSets(s);
  const server = await startServer(kind, { tickRate: rate, env });
  let gen: LoadGen | undefined;
  try {
    gen = new Channel<LoadCommand, LoadEvent>(
      spawnPinned(
        CLIENT_CORE,
        [...(process.env.BENCH_LOADGEN_NODE_ARGS?.split(' ') ?? []), '--import', 'tsx', LOADGEN],
        TSX_ENV,
      ),
    );
    await gen.next('ready', 30_000);
    let idle: StepResult['idle'];
    let base: { rss: number; heap?: number } | undefined;
    if (s.idleMemory) {
      await sleep(1000);
      base = { heap: (await server.probe({ gc: true }))?.heapUsed, rss: server.rssBytes() };
    }
    gen.send({
      cmd: 'connect',
      url: server.url,
      protocol: kind === 'ws-batched' ? 'ws' : 'socketio',
      sets,
      checkGaps: s.mode === 'full',
      concurrency: 100,
    });
    const connected = await gen.next('connected', 180_000);
    if (connected.failed > 0)
      throw new Error(`${connected.failed} clients failed to connect: ${connected.firstError}`);
    if (base) {
      await sleep(1000);
      const heap = (await server.probe({ gc: true }))?.heapUsed;
      idle = {
        clients: s.clients,
        rssPerConnKB: (server.rssBytes() - base.rss) / s.clients / 1024,
        heapPerConnKB:
          heap !== undefined && base.heap !== undefined
            ? (heap - base.heap) / s.clients / 1024
            : undefined,
      };
    }
    gen.send({
      cmd: 'subscribe',
      mode: s.mode,
      throttleMs: s.throttleMs,
      encoding: clientEncoding(kind),
      concurrency: 200,
    });
    const subscribed = await gen.next('subscribed', 180_000);
    if (subscribed.failed > 0)
      throw new Error(`${subscribed.failed} subscriptions failed: ${subscribed.firstError}`);
    return { server, gen, connectMs: connected.ms, idle };
  } catch (err) {
    await closeSession({ server, gen });
    throw err;
  }
}

export async function closeSession(session: {
  server: RunningServer;
  gen?: LoadGen;
}): Promise<void> {
  const gen = session.gen;
  if (gen) {
    if (gen.proc.child.connected) gen.send({ cmd: 'exit' });
    await Promise.race([gen.proc.exited, sleep(3000)]);
    await stopGroup(gen.proc, 3000);
  }
  await session.server.stop();
}

/** One measured window of `measureMs` on an open session: the load generator's and the server's figures. */
export async function measureWindow(
  s: Scenario,
  kind: ServerKind,
  rate: number,
  session: Session,
  measureMs: number,
): Promise<{ step: StepResult; probe: ProbeReading | undefined }> {
  const { server, gen } = session;
  const sets = symbolSets(s);
  const offeredPerSec = sets.reduce((sum, set) => sum + clientRate(set, rate), 0);
  gen.send({ cmd: 'window-start' });
  await gen.next('window-started', 30_000);
  const t0 = performance.now();
  const cpu0 = server.cpuMicros();
  const sys0 = server.sysMicros();
  const gen0 = procCpuMicros(gen.proc.pid);
  await server.probe({ reset: true });
  await sleep(measureMs);
  gen.send({ cmd: 'window-end' });
  const { stats } = await gen.next('window', 60_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = server.cpuMicros() - cpu0;
  const sys = server.sysMicros() - sys0;
  const genCpu = procCpuMicros(gen.proc.pid) - gen0;
  const probe = await server.probe();
  const step = judge(s, kind, rate, stats, {
    seconds,
    cpu,
    sys,
    genCpu,
    offeredPerSec,
    eldP99Ms: probe?.eldP99Ms,
    rssMB: server.rssBytes() / 1048576,
    heapMB: probe ? probe.heapUsed / 1048576 : undefined,
    connectMs: session.connectMs,
    idle: session.idle,
  });
  return { step, probe };
}

export async function runStep(
  s: Scenario,
  kind: ServerKind,
  rate: number,
  timing: StepTiming,
): Promise<StepResult> {
  const sets = symbolSets(s);
  const offeredPerSec = sets.reduce((sum, set) => sum + clientRate(set, rate), 0);
  let session: Session;
  try {
    session = await openSession(s, kind, rate);
  } catch (err) {
    return failed(kind, rate, offeredPerSec, err);
  }
  try {
    await sleep(timing.warmupMs);
    return (await measureWindow(s, kind, rate, session, timing.measureMs)).step;
  } catch (err) {
    return failed(kind, rate, offeredPerSec, err);
  } finally {
    await closeSession(session);
  }
}
