// Fan-out benchmark: Tickerboard against the per-tick gateways users would otherwise write and the
// raw-ws floor, under the same offered load in the same run. `npm run bench:fanout [-- --quick]`.
//   --only=<scenario ids>  --servers=<kinds>  --rates=<TICK_RATEs> (fixed rates instead of the
//   ladder: printed, not written)  --measure-ms=N  --budget-s=N  --from-json=<saved run>
//   --no-build  --no-write
import { readFileSync } from 'node:fs';
import { harnessFlags } from '../lib/args';
import { isNoisy, loadavg1, machineLine, pinSelf } from '../lib/proc';
import { fmt, log, saveJson, writeSection } from '../lib/report';
import { buildTickerboard, CLIENT_CORE, type ServerKind } from '../lib/server';
import { stepLine } from './judge';
import { runScenario, type ScenarioResult } from './ladder';
import { FANOUT_HEADING, fanoutSection, type ReportMeta } from './report';
import { scenarios, type Scenario } from './scenarios';

const flags = harnessFlags('bench:fanout', {
  quick: 'flag',
  only: 'list',
  servers: 'list',
  rates: 'list',
  'measure-ms': 'number',
  'budget-s': 'number',
  'from-json': 'string',
  'no-build': 'flag',
  'no-write': 'flag',
});
const QUICK = flags.quick;
const ONLY = flags.only;
const SERVERS = flags.servers as ServerKind[] | undefined;
/** Fixed rates instead of the ladder: every listed server once per rate, printed, not written. */
const RATES = flags.rates?.map(Number);
const WARMUP_MS = QUICK ? 1000 : 1500;
const MEASURE_MS = flags['measure-ms'] ?? (QUICK ? 2000 : 4000);
/** Whole-run budget: steps that would not fit are skipped and reported as such. */
const BUDGET_MS = (flags['budget-s'] ?? (QUICK ? 170 : 560)) * 1000;

const reportMeta = (machine: string, noisy: boolean): ReportMeta => ({
  machine,
  noisy,
  quick: QUICK,
  warmupMs: WARMUP_MS,
  measureMs: MEASURE_MS,
});

/** Re-renders a saved run, e.g. after a change to the report, without measuring again. */
function renderSaved(file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    machine: string;
    results: ScenarioResult[];
  };
  const noisy = Number(/loadavg before the run ([\d.]+)/.exec(saved.machine)?.[1]) > 1.5;
  const body = fanoutSection(saved.results, reportMeta(saved.machine, noisy));
  process.stdout.write(`${body}\n`);
  if (!flags['no-write']) writeSection(FANOUT_HEADING, body);
}

async function main(): Promise<void> {
  if (flags['from-json']) return renderSaved(flags['from-json']);
  pinSelf(CLIENT_CORE);
  const started = Date.now();
  const machine = machineLine();
  const noisy = isNoisy();
  log(`fan-out benchmark${QUICK ? ' (quick)' : ''}: ${machine}`);
  if (!flags['no-build']) {
    log('building Tickerboard (nest build)...');
    buildTickerboard();
  }
  const list = scenarios(QUICK).filter((s) => !ONLY || ONLY.includes(s.id));
  // Share the budget by how much each scenario has to climb.
  const weight = (s: Scenario): number => s.servers.length * (s.maxSteps + (s.bisect ? 2 : 0));
  const totalWeight = list.reduce((sum, s) => sum + weight(s), 0);
  const results: ScenarioResult[] = [];
  let cursor = started + 20_000;
  for (const s of list) {
    cursor += ((BUDGET_MS - 20_000) * weight(s)) / totalWeight;
    log(`\n${s.title}`);
    results.push(
      await runScenario(s, {
        servers: SERVERS,
        rates: RATES,
        warmupMs: WARMUP_MS,
        measureMs: MEASURE_MS,
        deadline: Math.max(cursor, Date.now() + 1),
      }),
    );
  }
  const loadAfter = loadavg1();
  const body = fanoutSection(results, reportMeta(machine, noisy));
  const out = saveJson(QUICK ? 'fanout-quick' : RATES ? 'fanout-rates' : 'fanout', {
    machine,
    results,
    loadAfter,
  });
  process.stdout.write(`\n${body}\n\nraw figures: ${out}\n`);
  log(`done in ${fmt((Date.now() - started) / 1000)} s, loadavg after ${loadAfter}`);
  if (!QUICK && !RATES && !flags['no-write']) writeSection(FANOUT_HEADING, body);

  // A smoke run fails on errors and lost ticks, never on speed.
  const steps = results.flatMap((r) => r.summaries.flatMap((x) => x.steps));
  const broken = steps.filter(
    (r) => r.error || r.lost > 0 || r.duplicates > 0 || r.formatErrors > 0 || r.disconnected > 0,
  );
  if (steps.length === 0 || (QUICK && broken.length > 0)) {
    for (const r of broken) log(`broken: ${stepLine(r)}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
