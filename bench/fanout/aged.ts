// The aged step: one Tickerboard server streaming the default feed to 2,000 clients x 20 symbols
// for half an hour (or as configured), measured in rounds while fresh, every few minutes while it
// ages, and in at least ten rounds once aged, with its GC pauses, event-loop stalls and memory.
// A server is judged by its worst round after it has run for a while, not by a median of fresh ones.
import { DEFAULTS } from '../../src/config/defaults';
import { sleep } from '../lib/proc';
import { fmt, log } from '../lib/report';
import type { ProbeReading, RunningServer } from '../lib/server';
import type { StepResult } from './judge';
import type { Scenario } from './scenarios';
import { closeSession, measureWindow, openSession, type Session } from './step';

export interface AgedOptions {
  /** Minutes the server streams before the aged rounds start (counted from its start). */
  ageMin: number;
  /** Keep streaming, sampling memory, until this minute, then run the rounds again. */
  untilMin: number;
  freshRounds: number;
  agedRounds: number;
  roundMs: number;
  /** Pause between rounds: clients keep streaming, nothing is measured. */
  gapMs: number;
  /** Memory and stall samples while aging, this far apart. */
  sampleMs: number;
}

export const AGED_LIMITS = { p99Ms: 50, p999Ms: 80, stallMs: 30, cpuDrift: 0.1, memDrift: 0.1 };

export interface AgedRound {
  phase: 'fresh' | 'aged' | 'later';
  /** Minutes since the server started, at the round's start. */
  atMin: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  cpuMicrosPerTick: number;
  deliveredPerSec: number;
  serverCpuPct: number;
  generatorCpuPct: number;
  generatorLoopMaxMs?: number;
  /**
   * From the server's tickerboard_stream_window_write_seconds: per window, its oldest tick's ts to
   * its last frame written; the bucket bounds holding the round's p99 and max (the server's own
   * share of the latency, without the load generator's).
   */
  serverWriteP99Ms?: number;
  serverWriteMaxMs?: number;
  framesPerSec: number;
  eldMaxMs?: number;
  gcMaxMs?: number;
  gcOver30?: number;
  majorGcs?: number;
  heapMB?: number;
  rssMB: number;
  lost: number;
  duplicates: number;
  disconnected: number;
  notices: number;
  pass: boolean;
  reasons: string[];
}

export interface AgedSample {
  atMin: number;
  heapMB?: number;
  rssMB: number;
  eldMaxMs?: number;
  gcMaxMs?: number;
  majorGcs?: number;
}

/** Live heap (after a forced GC) and RSS at a point of the run, for the flatness check. */
export interface AgedMemory {
  atMin: number;
  liveHeapMB?: number;
  rssMB: number;
}

export interface AgedResult {
  scenario: string;
  /** Who streams: clients x symbols. */
  title: string;
  rate: number;
  options: AgedOptions;
  rounds: AgedRound[];
  samples: AgedSample[];
  memory: AgedMemory[];
  error?: string;
}

const WINDOW_WRITE = 'tickerboard_stream_window_write_seconds_bucket';

/** The server's window-write histogram: cumulative counts by upper bound in ms. */
async function windowWrites(server: RunningServer): Promise<Map<number, number> | undefined> {
  try {
    const text = await (await fetch(`${server.url}/api/metrics`)).text();
    const out = new Map<number, number>();
    for (const m of text.matchAll(new RegExp(`^${WINDOW_WRITE}\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
      out.set(m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, Number(m[2]));
    }
    return out.size ? out : undefined;
  } catch {
    return undefined;
  }
}

/** The bucket bound holding quantile `q` of the windows observed between two readings. */
function bucketQuantile(
  before: Map<number, number> | undefined,
  after: Map<number, number> | undefined,
  q: number,
): number | undefined {
  if (!before || !after) return undefined;
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return undefined;
  for (const le of bounds) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le;
  }
  return Infinity;
}

function round(
  phase: AgedRound['phase'],
  atMin: number,
  step: StepResult,
  probe: ProbeReading | undefined,
  writes: { before?: Map<number, number>; after?: Map<number, number> },
): AgedRound {
  const reasons = [...step.reasons.filter((r) => !r.startsWith('p99 '))];
  if (step.p99 > AGED_LIMITS.p99Ms) reasons.push(`p99 ${step.p99} ms > ${AGED_LIMITS.p99Ms}`);
  if (step.p999 > AGED_LIMITS.p999Ms) reasons.push(`p99.9 ${step.p999} ms > ${AGED_LIMITS.p999Ms}`);
  if (probe && probe.eldMaxMs > AGED_LIMITS.stallMs)
    reasons.push(`event-loop stall ${fmt(probe.eldMaxMs)} ms > ${AGED_LIMITS.stallMs}`);
  return {
    phase,
    atMin,
    p50: step.p50,
    p99: step.p99,
    p999: step.p999,
    max: step.max,
    cpuMicrosPerTick: step.cpuMicrosPerTick,
    deliveredPerSec: step.deliveredPerSec,
    serverCpuPct: step.serverCpuPct,
    generatorCpuPct: step.generatorCpuPct,
    generatorLoopMaxMs: step.generatorLoopMaxMs,
    serverWriteP99Ms: bucketQuantile(writes.before, writes.after, 0.99),
    serverWriteMaxMs: bucketQuantile(writes.before, writes.after, 1),
    framesPerSec: step.framesPerSec,
    eldMaxMs: probe?.eldMaxMs,
    gcMaxMs: probe?.gc?.maxMs,
    gcOver30: probe?.gc?.over30,
    majorGcs: probe?.gc?.major,
    heapMB: step.heapMB,
    rssMB: step.rssMB,
    lost: step.lost,
    duplicates: step.duplicates,
    disconnected: step.disconnected,
    notices: step.notices,
    pass: reasons.length === 0,
    reasons,
  };
}

export async function runAged(s: Scenario, o: AgedOptions): Promise<AgedResult> {
  const rate = DEFAULTS.tickRate;
  const result: AgedResult = {
    scenario: s.id,
    title: s.title,
    rate,
    options: o,
    rounds: [],
    samples: [],
    memory: [],
  };
  let session: Session;
  const t0 = Date.now();
  const minutes = (): number => (Date.now() - t0) / 60_000;
  try {
    session = await openSession(s, 'tickerboard', rate);
  } catch (err) {
    result.error = String(err instanceof Error ? err.message : err).slice(0, 500);
    return result;
  }
  const rounds = async (phase: AgedRound['phase'], n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const at = minutes();
      const before = await windowWrites(session.server);
      const { step, probe } = await measureWindow(s, 'tickerboard', rate, session, o.roundMs);
      const after = await windowWrites(session.server);
      const r = round(phase, at, step, probe, { before, after });
      result.rounds.push(r);
      log(
        `  ${phase} round ${i + 1}/${n} at ${fmt(at)} min: p99 ${r.p99} p99.9 ${r.p999} max ${r.max} ms, ` +
          `server writes p99 <= ${fmt(r.serverWriteP99Ms ?? NaN)} ms, ${fmt(r.cpuMicrosPerTick)} us/tick, loop max ${fmt(r.eldMaxMs ?? NaN)} ms (load gen ${fmt(r.generatorLoopMaxMs ?? NaN)}), ` +
          `GC max ${fmt(r.gcMaxMs ?? NaN)} ms (${r.majorGcs ?? '?'} major), heap ${fmt(r.heapMB ?? NaN)} MB` +
          `${r.pass ? '' : ` -- ${r.reasons.join('; ')}`}`,
      );
      if (i < n - 1) await sleep(o.gapMs);
    }
  };
  const memory = async (): Promise<void> => {
    const probe = await session.server.probe({ gc: true, reset: true });
    const m = {
      atMin: minutes(),
      liveHeapMB: probe ? probe.heapUsed / 1048576 : undefined,
      rssMB: session.server.rssBytes() / 1048576,
    };
    result.memory.push(m);
    log(
      `  memory at ${fmt(m.atMin)} min: live heap ${fmt(m.liveHeapMB ?? NaN)} MB, RSS ${fmt(m.rssMB)} MB`,
    );
  };
  const ageUntil = async (min: number): Promise<void> => {
    await session.server.probe({ reset: true });
    while (minutes() < min) {
      await sleep(Math.max(0, Math.min(o.sampleMs, (min - minutes()) * 60_000)));
      const probe = await session.server.probe({ reset: true });
      const sample: AgedSample = {
        atMin: minutes(),
        heapMB: probe ? probe.heapUsed / 1048576 : undefined,
        rssMB: session.server.rssBytes() / 1048576,
        eldMaxMs: probe?.eldMaxMs,
        gcMaxMs: probe?.gc?.maxMs,
        majorGcs: probe?.gc?.major,
      };
      result.samples.push(sample);
      log(
        `  aging ${fmt(sample.atMin)} min: heap ${fmt(sample.heapMB ?? NaN)} MB, RSS ${fmt(sample.rssMB)} MB, ` +
          `loop max ${fmt(sample.eldMaxMs ?? NaN)} ms, GC max ${fmt(sample.gcMaxMs ?? NaN)} ms (${sample.majorGcs ?? '?'} major)`,
      );
    }
  };
  try {
    await sleep(5000);
    await rounds('fresh', o.freshRounds);
    await ageUntil(o.ageMin);
    await memory();
    await sleep(o.gapMs);
    await rounds('aged', o.agedRounds);
    if (o.untilMin > o.ageMin) {
      await ageUntil(o.untilMin);
      await memory();
      await sleep(o.gapMs);
      await rounds('later', o.agedRounds);
    }
  } catch (err) {
    result.error = String(err instanceof Error ? err.message : err).slice(0, 500);
  } finally {
    await closeSession(session);
  }
  return result;
}
