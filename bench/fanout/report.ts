// The fan-out section of RESULTS.md: how the run was made, each scenario's tables, notes on what
// limited the steps, and the goals table.
import { DEFAULTS } from '../../src/config/defaults';
import { fmt, table } from '../lib/report';
import { SERVER_LABELS, type ServerKind } from '../lib/server';
import { GOAL_SCENARIO, P99_LIMIT_MS } from './goals';
import { GENERATOR_LIMIT, type StepResult } from './judge';
import type { ScenarioResult } from './ladder';
import { judgeGoals } from './verdicts';

export const FANOUT_HEADING = '## Fan-out (npm run bench:fanout)';

export interface ReportMeta {
  machine: string;
  noisy: boolean;
  quick: boolean;
  warmupMs: number;
  measureMs: number;
}

/** What the step data says about why steps failed, so that a limit is not misread. */
function notes(results: ScenarioResult[], noisy: boolean): string[] {
  const steps = results.flatMap((r) => r.summaries.flatMap((x) => x.steps));
  const failedSteps = steps.filter((r) => !r.pass && !r.error);
  const starved = failedSteps.filter(
    (r) =>
      r.reasons.every((x) => x.startsWith('p99') || x.startsWith('deliveries fell')) &&
      r.serverCpuPct < 80 &&
      r.generatorCpuPct < GENERATOR_LIMIT * 100,
  );
  const out: string[] = [
    '- One pass of each ladder per run; compare runs, and trust ratios from one run over absolute figures.',
  ];
  if (starved.length)
    out.push(
      `- ${starved.length} of ${failedSteps.length} failing steps failed on latency while the server used under 80 % of its core and the generator under ${GENERATOR_LIMIT * 100} % of its: the core was not the limit, waiting for it was${noisy ? ' (other work was running on both cores)' : ''}. Those limits measure the machine's contention, not the server.`,
    );
  const genBound = steps.filter((r) => r.generatorBound);
  if (genBound.length)
    out.push(
      `- The load generator reached ${GENERATOR_LIMIT * 100} % of its core in ${genBound.length} step(s) (${[...new Set(genBound.map((r) => r.server))].join(', ')}): beyond those the figures are lower bounds for the server.`,
    );
  const errors = steps.filter((r) => r.error);
  if (errors.length)
    out.push(
      `- ${errors.length} step(s) ended in an error: ${errors.map((r) => `${r.server}@${r.rate}: ${r.reasons[0]}`).join('; ')}.`,
    );
  return out;
}

function howParagraph(meta: ReportMeta): string {
  return [
    'How: every server runs alone on core 0 (`taskset -c 0`), the load generator on core 1, each in',
    'its own process; servers are restarted for every step. The offered load doubles from step to',
    `step (TICK_RATE, the feed's combined ticks/s; every server runs the same simulator and seed).`,
    `Each step: connect, subscribe, ${meta.warmupMs / 1000} s warm-up, ${meta.measureMs / 1000} s measured.`,
    'A step passes when nothing was lost or duplicated (every client checks seq per symbol),',
    `p99 tick-to-client latency (receipt minus tick \`ts\`) is <= ${P99_LIMIT_MS} ms, and deliveries keep up`,
    'with what the feed produced; a step that fails on p99 alone (under twice the limit, core not',
    'saturated) is run once more and passes only if that run passes (both runs are listed). The',
    'ladder alone decides the sustained rate.',
    'Server CPU is utime+stime from /proc for all four (in brackets: stime, the kernel part); heap and',
    'event-loop delay come from a probe preloaded into each server (`node --import bench/lib/probe.mjs`),',
    'not from code in the app. Ticks are emitted by the simulator on a 5 ms timer, so up to 5 ms of',
    `scheduling lag is in every latency figure, and A and D add up to one ${DEFAULTS.batchMs} ms batch window by design.`,
  ].join('\n');
}

function scenarioTables(res: ScenarioResult): string[] {
  const s = res.scenario;
  const parts: string[] = [`### ${s.title}`];
  const rows = res.summaries.map((x) => {
    const r = x.sustained;
    const h = x.half;
    return [
      SERVER_LABELS[x.server],
      r
        ? `${fmt(r.deliveredPerSec)}${x.limit === 'top of the ladder' || x.limit === 'load generator saturated' ? ' (at least)' : ''}`
        : 'none',
      r ? String(r.rate) : '-',
      x.limit,
      h ? `${h.p50} / ${h.p99} / ${h.p999}` : '-',
      r ? fmt(r.cpuMicrosPerTick, 2) : '-',
      fmt((h ?? r)?.eldP99Ms, 1),
      r ? fmt(r.generatorCpuPct) : '-',
    ];
  });
  parts.push(
    table(
      [
        'server',
        'sustained deliveries/s',
        'at TICK_RATE',
        'stopped by',
        'p50 / p99 / p99.9 ms at half rate',
        'CPU us/tick at sustained',
        'event-loop p99 ms (half)',
        'generator CPU % at sustained',
      ],
      rows,
    ),
  );
  const idleRows = res.summaries
    .map((x) => x.steps.find((r) => r.idle)?.idle && [x.server, x.steps.find((r) => r.idle)])
    .filter((x): x is [ServerKind, StepResult] => !!x);
  if (idleRows.length) {
    parts.push(`Idle memory, ${fmt(s.clients)} connected clients with no subscription:`);
    parts.push(
      table(
        ['server', 'RSS per connection KB', 'heap per connection KB (after GC)'],
        idleRows.map(([k, r]) => [
          SERVER_LABELS[k],
          fmt(r.idle?.rssPerConnKB, 1),
          fmt(r.idle?.heapPerConnKB, 1),
        ]),
      ),
    );
  }
  const all = res.summaries.flatMap((x) => x.steps).sort((p, q) => p.rate - q.rate);
  parts.push('<details><summary>Every step</summary>\n');
  parts.push(
    table(
      [
        'server',
        'TICK_RATE',
        'offered/s',
        'delivered/s',
        'frames/s',
        'server CPU % (kernel)',
        'us/tick',
        'B/tick',
        'p50/p99/p99.9/max ms',
        'loop p99 ms',
        'RSS MB',
        'gen CPU %',
        'result',
      ],
      all.map((r) => [
        r.server,
        String(r.rate),
        fmt(r.offeredPerSec),
        fmt(r.deliveredPerSec),
        fmt(r.framesPerSec),
        `${fmt(r.serverCpuPct)} (${fmt(r.serverSysPct)})`,
        fmt(r.cpuMicrosPerTick, 2),
        fmt(r.bytesPerTick, 1),
        `${r.p50}/${r.p99}/${r.p999}/${r.max}`,
        fmt(r.eldP99Ms, 1),
        fmt(r.rssMB),
        fmt(r.generatorCpuPct),
        r.pass ? 'pass' : r.reasons.join('; '),
      ]),
    ),
  );
  parts.push('</details>');
  return parts;
}

/**
 * Tickerboard's tick encodings side by side (`--encoding=json,compact`): bytes and server CPU per
 * delivered tick at each rate both were measured at, with compact's ratios to JSON.
 */
export function encodingSection(results: ScenarioResult[]): string {
  const parts: string[] = [];
  for (const res of results) {
    const steps = res.summaries.flatMap((x) => x.steps);
    const json = steps.filter((r) => r.server === 'tickerboard' && !r.error);
    const compact = steps.filter((r) => r.server === 'tickerboard-compact' && !r.error);
    const rows: string[][] = [];
    for (const c of compact) {
      // Repeated rates (--rates=300,300) pair up in the order they ran.
      const nth = compact.filter((r) => r.rate === c.rate).indexOf(c);
      const j = json.filter((r) => r.rate === c.rate)[nth];
      for (const r of j ? [j, c] : [c]) {
        rows.push([
          r.server === 'tickerboard' ? 'json' : 'compact',
          String(r.rate),
          fmt(r.deliveredPerSec),
          fmt(r.bytesPerTick, 1),
          fmt(r.cpuMicrosPerTick, 2),
          `${r.p50}/${r.p99}`,
          r === c && j ? `${fmt((100 * c.bytesPerTick) / j.bytesPerTick)} %` : '',
          r === c && j ? `${fmt((100 * c.cpuMicrosPerTick) / j.cpuMicrosPerTick)} %` : '',
          r.pass ? 'pass' : r.reasons.join('; '),
        ]);
      }
    }
    if (!rows.length) continue;
    parts.push(`### Tick encodings: ${res.scenario.title}`);
    parts.push(
      table(
        [
          'encoding',
          'TICK_RATE',
          'delivered/s',
          'bytes/tick',
          'server us/tick',
          'p50/p99 ms',
          'bytes vs json',
          'CPU vs json',
          'result',
        ],
        rows,
      ),
    );
  }
  return parts.join('\n\n');
}

/** The goals table, when the run has the scenario the goals are set on. */
export function goalsTable(results: ScenarioResult[]): string[] {
  const g = judgeGoals(results.find((r) => r.scenario.id === GOAL_SCENARIO));
  if (!g.length) return [];
  return [
    '### Goals (2,000 clients x 20 symbols)',
    table(
      ['goal', 'measured', 'verdict'],
      g.map((x) => [x.goal, x.measured, x.verdict]),
    ),
  ];
}

/** The body of the fan-out section of RESULTS.md. */
export function fanoutSection(results: ScenarioResult[], meta: ReportMeta): string {
  const parts: string[] = [
    `Machine: ${meta.machine}${meta.noisy ? ' — **noisy run** (loadavg above 1.5)' : ''}.`,
    `Command: \`npm run bench:fanout\` (${meta.quick ? 'quick smoke' : 'full'} run).`,
    howParagraph(meta),
    ...results.flatMap(scenarioTables),
    '### Notes',
    notes(results, meta.noisy).join('\n'),
    ...goalsTable(results),
  ];
  return parts.join('\n\n');
}
