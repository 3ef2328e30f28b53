// The aged step's section of bench/RESULTS.md: every round, fresh beside aged, and the verdicts.
import { fmt, table } from '../lib/report';
import { AGED_LIMITS, type AgedResult, type AgedRound } from './aged';

export const AGED_HEADING = '## Fan-out on an aged server (npm run bench:fanout, aged step)';

function median(values: number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const max = (values: Array<number | undefined>): number =>
  Math.max(...values.filter((v): v is number => v !== undefined));

export interface AgedVerdict {
  target: string;
  measured: string;
  pass: boolean | undefined;
}

/** The targets, judged on every aged round (never a median of rounds). */
export function agedVerdicts(r: AgedResult): AgedVerdict[] {
  const fresh = r.rounds.filter((x) => x.phase === 'fresh');
  const aged = r.rounds.filter((x) => x.phase !== 'fresh');
  const out: AgedVerdict[] = [];
  const latencyOk = aged.filter(
    (x) => x.p99 <= AGED_LIMITS.p99Ms && x.p999 <= AGED_LIMITS.p999Ms && x.lost === 0,
  );
  out.push({
    target: `every aged round: p99 <= ${AGED_LIMITS.p99Ms} ms and p99.9 <= ${AGED_LIMITS.p999Ms} ms (>= 10 rounds)`,
    measured: aged.length
      ? `${latencyOk.length} of ${aged.length} rounds; worst p99 ${max(aged.map((x) => x.p99))} ms, worst p99.9 ${max(aged.map((x) => x.p999))} ms`
      : 'no aged round',
    pass: aged.length >= 10 ? latencyOk.length === aged.length : undefined,
  });
  const stalls = aged.map((x) => x.eldMaxMs);
  out.push({
    target: `no event-loop stall over ${AGED_LIMITS.stallMs} ms in an aged round`,
    measured: aged.length
      ? `longest ${fmt(max(stalls), 1)} ms; ${aged.filter((x) => (x.eldMaxMs ?? 0) > AGED_LIMITS.stallMs).length} rounds over`
      : 'n/a',
    pass: aged.length ? max(stalls) <= AGED_LIMITS.stallMs : undefined,
  });
  const freshCpu = median(fresh.map((x) => x.cpuMicrosPerTick));
  const agedCpu = median(aged.map((x) => x.cpuMicrosPerTick));
  const drift = agedCpu / freshCpu - 1;
  out.push({
    target: `CPU per delivered tick aged within ${AGED_LIMITS.cpuDrift * 100} % of fresh`,
    measured: `fresh ${fmt(freshCpu, 2)} us, aged ${fmt(agedCpu, 2)} us (medians of rounds): ${drift >= 0 ? '+' : ''}${fmt(drift * 100, 1)} %`,
    pass: Number.isFinite(drift) ? Math.abs(drift) <= AGED_LIMITS.cpuDrift : undefined,
  });
  if (r.memory.length >= 2) {
    const [a, b] = [r.memory[0], r.memory[r.memory.length - 1]];
    const heapDrift = (b.liveHeapMB ?? NaN) / (a.liveHeapMB ?? NaN) - 1;
    const rssDrift = b.rssMB / a.rssMB - 1;
    out.push({
      target: `live heap and RSS flat (within ${AGED_LIMITS.memDrift * 100} %) from minute ${fmt(a.atMin)} to ${fmt(b.atMin)}`,
      measured: `live heap ${fmt(a.liveHeapMB, 1)} -> ${fmt(b.liveHeapMB, 1)} MB (${fmt(heapDrift * 100, 1)} %), RSS ${fmt(a.rssMB)} -> ${fmt(b.rssMB)} MB (${fmt(rssDrift * 100, 1)} %)`,
      pass:
        Number.isFinite(heapDrift) &&
        heapDrift <= AGED_LIMITS.memDrift &&
        rssDrift <= AGED_LIMITS.memDrift,
    });
  }
  return out;
}

function roundRow(x: AgedRound): string[] {
  return [
    x.phase,
    fmt(x.atMin, 1),
    `${x.p50} / ${x.p99} / ${x.p999} / ${x.max}`,
    `${fmt(x.serverWriteP99Ms)} / ${fmt(x.serverWriteMaxMs)}`,
    fmt(x.cpuMicrosPerTick, 2),
    fmt(x.deliveredPerSec),
    fmt(x.framesPerSec),
    `${fmt(x.serverCpuPct)} %`,
    `${fmt(x.generatorCpuPct)} %`,
    fmt(x.eldMaxMs, 1),
    fmt(x.generatorLoopMaxMs, 1),
    `${fmt(x.gcMaxMs, 1)} / ${x.gcOver30 ?? 'n/a'} / ${x.majorGcs ?? 'n/a'}`,
    `${fmt(x.heapMB)} / ${fmt(x.rssMB)}`,
    x.lost || x.duplicates || x.disconnected
      ? `${x.lost} lost, ${x.duplicates} dup, ${x.disconnected} disc`
      : 'none',
    x.pass ? 'pass' : `MISSED: ${x.reasons.join('; ')}`,
  ];
}

export function agedSection(r: AgedResult, machine: string, command: string): string {
  const o = r.options;
  const lines: string[] = [];
  lines.push(`Machine: ${machine}.`);
  lines.push(`Command: \`${command}\`.`);
  lines.push('');
  lines.push(
    `One Tickerboard server (core 0) streams the default feed (TICK_RATE ${r.rate}) to ${r.title} ` +
      `from its start; the load generator runs on core 1. ${o.freshRounds} rounds of ${fmt(o.roundMs / 1000)} s ` +
      `right after start ("fresh"), then the server ages with every client streaming, sampled every ` +
      `${fmt(o.sampleMs / 1000)} s, and at minute ${fmt(o.ageMin)} ${o.agedRounds} rounds ("aged")` +
      (o.untilMin > o.ageMin
        ? `, and ${o.agedRounds} more at minute ${fmt(o.untilMin)} ("later")`
        : '') +
      `, ${fmt(o.gapMs / 1000)} s apart. This is real aging, not an accelerated equivalent: the recent-tick ` +
      `rings fill after about 12 minutes of the default feed, the store and its candle tables grow as ` +
      `they do in production. Latency is tick timestamp to client receipt; loop max is the server's ` +
      `longest event-loop delay in the round (load gen loop max: the generator's own, which the ` +
      `latency includes); server writes: from each batch window's oldest tick to its last frame ` +
      `written, read from the server's tickerboard_stream_window_write_seconds histogram (bucket ` +
      `bounds: the p99 and the max are at most these), the server's share of the latency; GC is the longest pause / pauses over 30 ms / major GCs.`,
  );
  if (r.error) lines.push('', `The run ended early: ${r.error}`);
  lines.push('');
  lines.push(
    table(
      [
        'phase',
        'minute',
        'latency ms p50 / p99 / p99.9 / max',
        'server writes ms p99 / max',
        'us per tick',
        'ticks/s delivered',
        'frames/s',
        'server CPU',
        'load gen CPU',
        'loop max ms',
        'load gen loop max ms',
        'GC max ms / >30 / major',
        'heap / RSS MB',
        'losses',
        'round',
      ],
      r.rounds.map(roundRow),
    ),
  );
  if (r.samples.length) {
    lines.push('', 'While aging (each sample covers the time since the previous one):', '');
    lines.push(
      table(
        ['minute', 'heap MB', 'RSS MB', 'loop max ms', 'GC max ms', 'major GCs'],
        r.samples.map((s) => [
          fmt(s.atMin, 1),
          fmt(s.heapMB),
          fmt(s.rssMB),
          fmt(s.eldMaxMs, 1),
          fmt(s.gcMaxMs, 1),
          String(s.majorGcs ?? 'n/a'),
        ]),
      ),
    );
  }
  lines.push('', 'Against the targets:', '');
  lines.push(
    table(
      ['target', 'measured', 'verdict'],
      agedVerdicts(r).map((v) => [
        v.target,
        v.measured,
        v.pass === undefined ? 'not measured' : v.pass ? 'pass' : 'MISSED',
      ]),
    ),
  );
  return lines.join('\n');
}
