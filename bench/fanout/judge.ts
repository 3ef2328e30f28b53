// One fan-out step's figures and whether it passed: pure, from the load generator's window and the
// server's counters.
import { symbolRate } from '../lib/feed-model';
import { fmt } from '../lib/report';
import type { ServerKind } from '../lib/server';
import { P99_LIMIT_MS } from './goals';
import type { WindowStats } from './loadgen';
import type { Scenario } from './scenarios';

/** The load generator's share of its core above which a step's figures only bound the server. */
export const GENERATOR_LIMIT = 0.9;

export interface StepResult {
  server: ServerKind;
  rate: number;
  pass: boolean;
  reasons: string[];
  generatorBound: boolean;
  error?: string;
  deliveredPerSec: number;
  expectedPerSec: number;
  offeredPerSec: number;
  framesPerSec: number;
  bytesPerSec: number;
  /** WebSocket payload bytes received per tick received (Engine.IO and Socket.IO framing included). */
  bytesPerTick: number;
  serverCpuPct: number;
  /** The kernel's part of serverCpuPct. */
  serverSysPct: number;
  cpuMicrosPerTick: number;
  generatorCpuPct: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  eldP99Ms?: number;
  /** The load generator's longest event-loop delay in the window. */
  generatorLoopMaxMs?: number;
  rssMB: number;
  heapMB?: number;
  lost: number;
  duplicates: number;
  notices: number;
  formatErrors: number;
  disconnected: number;
  connectMs: number;
  idle?: { clients: number; rssPerConnKB: number; heapPerConnKB?: number };
}

/** What the harness measured around the window, beside the load generator's own figures. */
export interface StepCounters {
  seconds: number;
  /** Server CPU and its kernel part over the window, in microseconds. */
  cpu: number;
  sys: number;
  genCpu: number;
  offeredPerSec: number;
  eldP99Ms?: number;
  rssMB: number;
  heapMB?: number;
  connectMs: number;
  idle?: StepResult['idle'];
}

export function judge(
  s: Scenario,
  kind: ServerKind,
  rate: number,
  w: WindowStats,
  m: StepCounters,
): StepResult {
  const deliveredPerSec = w.ticks / m.seconds;
  const expectedPerSec = w.expected / m.seconds;
  const generatorCpuPct = (m.genCpu / 1e6 / m.seconds) * 100;
  const reasons: string[] = [];
  if (w.totalLost > 0) reasons.push(`${fmt(w.totalLost)} ticks lost`);
  if (w.totalDuplicates > 0) reasons.push(`${fmt(w.totalDuplicates)} duplicates`);
  if (w.disconnected > 0) reasons.push(`${w.disconnected} clients disconnected`);
  if (w.formatErrors > 0) reasons.push(`${w.formatErrors} frames the scanner misread`);
  if (w.samples === 0) reasons.push('no ticks received');
  // A conflated tick may wait one throttle interval by design.
  const limit = P99_LIMIT_MS + (s.mode === 'conflated' ? (s.throttleMs ?? 0) : 0);
  if (w.p99 > limit) reasons.push(`p99 ${w.p99} ms > ${limit} ms`);
  // Full mode must keep up with what the feed produced and the feed must produce what was asked;
  // conflated mode delivers fewer ticks by design.
  if (s.mode === 'full') {
    if (deliveredPerSec < 0.95 * expectedPerSec) reasons.push('deliveries fell behind the feed');
    // The feed skips ahead when its process stalls for seconds; Poisson noise alone stays well
    // inside four standard deviations.
    let produced = 0;
    let nominal = 0;
    for (const [symbol, n] of Object.entries(w.produced)) {
      produced += n;
      nominal += symbolRate(symbol, rate) * m.seconds;
    }
    if (produced < nominal - 4 * Math.sqrt(nominal) - 0.05 * nominal)
      reasons.push(`feed produced ${fmt((100 * produced) / nominal)}% of its schedule`);
  }
  return {
    server: kind,
    rate,
    pass: reasons.length === 0,
    reasons,
    generatorBound: generatorCpuPct >= GENERATOR_LIMIT * 100,
    deliveredPerSec,
    expectedPerSec,
    offeredPerSec: m.offeredPerSec,
    framesPerSec: w.frames / m.seconds,
    bytesPerSec: w.bytes / m.seconds,
    bytesPerTick: w.ticks > 0 ? w.bytes / w.ticks : NaN,
    serverCpuPct: (m.cpu / 1e6 / m.seconds) * 100,
    serverSysPct: (m.sys / 1e6 / m.seconds) * 100,
    cpuMicrosPerTick: w.ticks > 0 ? m.cpu / w.ticks : NaN,
    generatorCpuPct,
    p50: w.p50,
    p99: w.p99,
    p999: w.p999,
    max: w.max,
    eldP99Ms: m.eldP99Ms,
    generatorLoopMaxMs: w.genLoopMaxMs,
    rssMB: m.rssMB,
    heapMB: m.heapMB,
    lost: w.totalLost,
    duplicates: w.totalDuplicates,
    notices: w.notices,
    formatErrors: w.formatErrors,
    disconnected: w.disconnected,
    connectMs: m.connectMs,
    idle: m.idle,
  };
}

/** A step that could not be measured: the error is its only reason. */
export function failed(
  kind: ServerKind,
  rate: number,
  offeredPerSec: number,
  err: unknown,
): StepResult {
  const message = err instanceof Error ? err.message : String(err);
  return {
    server: kind,
    rate,
    pass: false,
    reasons: [`error: ${message.split('\n')[0]}`],
    generatorBound: false,
    error: message,
    deliveredPerSec: NaN,
    expectedPerSec: NaN,
    offeredPerSec,
    framesPerSec: NaN,
    bytesPerSec: NaN,
    bytesPerTick: NaN,
    serverCpuPct: NaN,
    serverSysPct: NaN,
    cpuMicrosPerTick: NaN,
    generatorCpuPct: NaN,
    p50: NaN,
    p99: NaN,
    p999: NaN,
    max: NaN,
    rssMB: NaN,
    lost: 0,
    duplicates: 0,
    notices: 0,
    formatErrors: 0,
    disconnected: 0,
    connectMs: NaN,
  };
}

/** One log line per step: rate, deliveries, CPU, latency and the verdict. */
export function stepLine(r: StepResult): string {
  const status = r.pass ? 'pass' : `FAIL (${r.reasons.join('; ')})`;
  return (
    `  ${r.server.padEnd(19)} rate ${String(r.rate).padStart(6)}  delivered ${fmt(r.deliveredPerSec).padStart(10)}/s` +
    ` of ${fmt(r.offeredPerSec)}  cpu ${fmt(r.serverCpuPct)}% (kernel ${fmt(r.serverSysPct)}%) ${fmt(r.cpuMicrosPerTick, 2)} us/tick` +
    ` ${fmt(r.bytesPerTick, 1)} B/tick` +
    `  p50/p99 ${r.p50}/${r.p99} ms  gen ${fmt(r.generatorCpuPct)}%  ${status}`
  );
}
