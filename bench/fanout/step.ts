// One fan-out step: a fresh server at one offered rate, the load generator on the other core,
// warm-up, one measured window.
import { LoadGen as Channel } from '../lib/loadgen-channel';
import { join } from 'node:path';
import { clientRate } from '../lib/feed-model';
import { procCpuMicros, sleep, spawnPinned, stopGroup } from '../lib/proc';
import {
  CLIENT_CORE,
  ROOT,
  startServer,
  TSX_ENV,
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

export async function runStep(
  s: Scenario,
  kind: ServerKind,
  rate: number,
  timing: StepTiming,
): Promise<StepResult> {
  const sets = symbolSets(s);
  const offeredPerSec = sets.reduce((sum, set) => sum + clientRate(set, rate), 0);
  let server: RunningServer;
  try {
    server = await startServer(kind, { tickRate: rate });
  } catch (err) {
    return failed(kind, rate, offeredPerSec, err);
  }
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
    gen.send({ cmd: 'subscribe', mode: s.mode, throttleMs: s.throttleMs, concurrency: 200 });
    const subscribed = await gen.next('subscribed', 180_000);
    if (subscribed.failed > 0)
      throw new Error(`${subscribed.failed} subscriptions failed: ${subscribed.firstError}`);
    await sleep(timing.warmupMs);

    gen.send({ cmd: 'window-start' });
    await gen.next('window-started', 30_000);
    const t0 = performance.now();
    const cpu0 = server.cpuMicros();
    const sys0 = server.sysMicros();
    const gen0 = procCpuMicros(gen.proc.pid);
    await server.probe({ reset: true });
    await sleep(timing.measureMs);
    gen.send({ cmd: 'window-end' });
    const { stats } = await gen.next('window', 60_000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = server.cpuMicros() - cpu0;
    const sys = server.sysMicros() - sys0;
    const genCpu = procCpuMicros(gen.proc.pid) - gen0;
    const probe = await server.probe();
    return judge(s, kind, rate, stats, {
      seconds,
      cpu,
      sys,
      genCpu,
      offeredPerSec,
      eldP99Ms: probe?.eldP99Ms,
      rssMB: server.rssBytes() / 1048576,
      heapMB: probe ? probe.heapUsed / 1048576 : undefined,
      connectMs: connected.ms,
      idle,
    });
  } catch (err) {
    return failed(kind, rate, offeredPerSec, err);
  } finally {
    if (gen) {
      if (gen.proc.child.connected) gen.send({ cmd: 'exit' });
      await Promise.race([gen.proc.exited, sleep(3000)]);
      await stopGroup(gen.proc, 3000);
    }
    await server.stop();
  }
}
