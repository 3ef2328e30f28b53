// Medians across saved benchmark runs (bench/out/*.json), for the figures that decide the goals.
// `npm run bench:medians` after several full runs of bench:fanout and bench:poll-vs-push.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS } from '../src/config/defaults';
import { bound, GOAL_SCENARIO } from './fanout/goals';
import { harnessFlags } from './lib/args';
import { fmt, table, writeSection } from './lib/report';

const flags = harnessFlags('bench:medians', { runs: 'number', 'no-write': 'flag' });
const OUT = join(process.cwd(), 'bench', 'out');
const RUNS = flags.runs ?? 3;
/** The product's default feed: the first same-load rate of the goals' scenario. */
const DEFAULT_RATE = DEFAULTS.tickRate;

interface Step {
  server: string;
  rate: number;
  pass: boolean;
  deliveredPerSec: number;
  cpuMicrosPerTick: number;
  serverCpuPct?: number;
  /** The kernel's part of serverCpuPct (runs since the harness recorded it). */
  serverSysPct?: number;
  p99: number;
}
interface Summary {
  server: string;
  steps: Step[];
  sustained?: Step;
  limit?: string;
}
interface FanoutRun {
  machine: string;
  results: Array<{
    scenario: { id: string; sameLoadRate?: number; sameLoadRates?: number[] };
    summaries: Summary[];
  }>;
}
interface PvpRun {
  machine: string;
  results: Array<{
    label: string;
    bytesPerClientPerMin: number;
    serverCpuPct: number;
    staleP50: number;
    staleP99: number;
  }>;
}

function newest<T>(prefix: string): Array<{ file: string; data: T }> {
  return (
    readdirSync(OUT)
      // Smoke runs (quick) and fixed-rate runs (rates) are not full runs.
      .filter(
        (f) =>
          f.startsWith(prefix) &&
          !f.includes('quick') &&
          !f.includes('rates') &&
          f.endsWith('.json'),
      )
      .sort()
      .slice(-RUNS)
      .map((file) => ({ file, data: JSON.parse(readFileSync(join(OUT, file), 'utf8')) as T }))
  );
}

function median(values: number[]): number {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!xs.length) return NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

function list(values: number[], digits = 0): string {
  return values.map((v) => fmt(v, digits)).join(', ');
}

const fanout = newest<FanoutRun>('fanout-').filter((r) =>
  r.data.results.some((s) => s.scenario.id === GOAL_SCENARIO),
);
const pvp = newest<PvpRun>('poll-vs-push-');
const lines: string[] = [
  `Runs: fan-out ${fanout.map((r) => r.file).join(', ')}; polling ${pvp.map((r) => r.file).join(', ')}.`,
  'Ratios are taken within each run, then the median of those ratios is reported.',
  '',
];

if (fanout.length) {
  const per = fanout.map(({ data }) => {
    const sc = data.results.find((s) => s.scenario.id === GOAL_SCENARIO)!;
    const sum = (k: string) => sc.summaries.find((s) => s.server === k);
    const at = (k: string, rate?: number) => sum(k)?.steps.find((s) => s.rate === rate);
    // Older runs saved one same-load rate; newer ones a list whose first entry is the default feed.
    const same = sc.scenario.sameLoadRates?.[0] ?? sc.scenario.sameLoadRate;
    const dense = sc.scenario.sameLoadRates?.[1];
    const cpu = (k: string, rate?: number) => at(k, rate)?.cpuMicrosPerTick ?? NaN;
    const sysShare = (step?: Step) => (step?.serverSysPct ?? NaN) / (step?.serverCpuPct ?? NaN);
    const [a, b, c] = ['tickerboard', 'nest-per-tick', 'socketio-per-tick'].map((k) => at(k, same));
    return {
      dense,
      cpuA: a?.cpuMicrosPerTick ?? NaN,
      ratioB: (a?.cpuMicrosPerTick ?? NaN) / (b?.cpuMicrosPerTick ?? NaN),
      ratioC: (a?.cpuMicrosPerTick ?? NaN) / (c?.cpuMicrosPerTick ?? NaN),
      floorB: cpu('ws-batched', same) / cpu('nest-per-tick', same),
      // D's kernel time alone (nearly all of it its socket writes) per tick, against B's whole cost.
      kernelB:
        (cpu('ws-batched', same) * sysShare(at('ws-batched', same))) / cpu('nest-per-tick', same),
      floorC: cpu('ws-batched', same) / cpu('socketio-per-tick', same),
      denseB: cpu('tickerboard', dense) / cpu('nest-per-tick', dense),
      denseC: cpu('tickerboard', dense) / cpu('socketio-per-tick', dense),
      p99A: a?.p99 ?? NaN,
      sustainedA: sum('tickerboard')?.sustained?.deliveredPerSec ?? NaN,
      sustainedC: sum('socketio-per-tick')?.sustained?.deliveredPerSec ?? NaN,
      /** A's ladder stopped at the load generator's limit: its sustained rate is a lower bound. */
      cappedA: sum('tickerboard')?.limit === 'load generator saturated',
    };
  });
  const deliveries = per.map((r) => r.sustainedA / r.sustainedC);
  lines.push(
    '### Fan-out, 2,000 clients x 20 symbols',
    '',
    table(
      ['figure', 'median', 'each run'],
      [
        [
          `A CPU us per delivered tick at TICK_RATE ${DEFAULT_RATE}`,
          fmt(median(per.map((r) => r.cpuA)), 2),
          list(
            per.map((r) => r.cpuA),
            2,
          ),
        ],
        [
          `A/B CPU per tick at TICK_RATE ${DEFAULT_RATE} (goal ${bound('cpu-per-tick')})`,
          fmt(median(per.map((r) => r.ratioB)), 2),
          list(
            per.map((r) => r.ratioB),
            2,
          ),
        ],
        [
          `A/C CPU per tick at TICK_RATE ${DEFAULT_RATE} (goal ${bound('cpu-per-tick')})`,
          fmt(median(per.map((r) => r.ratioC)), 2),
          list(
            per.map((r) => r.ratioC),
            2,
          ),
        ],
        [
          `D/B and D/C at TICK_RATE ${DEFAULT_RATE}: the raw-ws floor for ${DEFAULTS.batchMs} ms batching`,
          `${fmt(median(per.map((r) => r.floorB)), 2)} / ${fmt(median(per.map((r) => r.floorC)), 2)}`,
          per.map((r) => `${fmt(r.floorB, 2)} / ${fmt(r.floorC, 2)}`).join(', '),
        ],
        [
          `D's kernel CPU alone (its socket writes) per tick / B's whole CPU per tick, TICK_RATE ${DEFAULT_RATE}`,
          fmt(median(per.map((r) => r.kernelB)), 2),
          list(
            per.map((r) => r.kernelB),
            2,
          ),
        ],
        [
          `A/B and A/C at TICK_RATE ${per.find((r) => r.dense)?.dense ?? '-'} (denser feed, shown only)`,
          `${fmt(median(per.map((r) => r.denseB)), 2)} / ${fmt(median(per.map((r) => r.denseC)), 2)}`,
          per.map((r) => `${fmt(r.denseB, 2)} / ${fmt(r.denseC, 2)}`).join(', '),
        ],
        [
          `A p99 ms at TICK_RATE ${DEFAULT_RATE} (goal ${bound('p99')})`,
          fmt(median(per.map((r) => r.p99A))),
          list(per.map((r) => r.p99A)),
        ],
        [
          `A/C sustained deliveries (goal ${bound('deliveries')}; ">=": A stopped by the load generator)`,
          fmt(median(deliveries), 2),
          per.map((r, i) => `${r.cappedA ? '>=' : ''}${fmt(deliveries[i], 2)}`).join(', '),
        ],
      ],
    ),
    '',
  );
}

if (pvp.length) {
  const labels = pvp[0].data.results.map((r) => r.label);
  const rows = labels.map((label) => {
    const runs = pvp.map(({ data }) => data.results.find((r) => r.label === label)!);
    return [
      label,
      fmt(median(runs.map((r) => r.bytesPerClientPerMin))),
      fmt(median(runs.map((r) => r.serverCpuPct)), 1),
      fmt(median(runs.map((r) => r.staleP50))),
      fmt(median(runs.map((r) => r.staleP99))),
    ];
  });
  lines.push(
    '### Polling versus push',
    '',
    table(
      ['mode', 'bytes/client/min', 'server CPU %', 'staleness p50 ms', 'staleness p99 ms'],
      rows,
    ),
    '',
  );
}

const body = lines.join('\n');
process.stdout.write(`${body}\n`);
if (!flags['no-write']) writeSection(`## Medians of ${RUNS} runs (npm run bench:medians)`, body);
