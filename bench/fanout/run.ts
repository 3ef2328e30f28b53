// Fan-out benchmark: Tickerboard against the per-tick gateways users would otherwise write and the
// raw-ws floor, under the same offered load in the same run. `npm run bench:fanout [-- --quick]`.
//   --only=<scenario ids>  --servers=<kinds>  --rates=<TICK_RATEs> (fixed rates instead of the
//   ladder: printed, not written)  --measure-ms=N  --budget-s=N  --from-json=<saved run>
//   --no-build  --no-write
//   The aged step (scenario id `aged`, in every full run; --only=aged for it alone):
//   --age-min=N (30)  --until-min=N (no later rounds)  --aged-rounds=N (10)  --round-ms=N (20000)
//   --aged-clients=N (the scenario's 2,000)
//   --encoding=json,compact  the tick encodings Tickerboard's clients subscribe with (default json):
//   `compact` measures it as server kind `tickerboard-compact`, beside `tickerboard` when both
//   are listed, and prints bytes and CPU per tick of each
import { readFileSync } from 'node:fs';
import { harnessFlags } from '../lib/args';
import { isNoisy, loadavg1, machineLine, pinSelf } from '../lib/proc';
import { fmt, log, saveJson, writeSection } from '../lib/report';
import { buildTickerboard, CLIENT_CORE, type ServerKind } from '../lib/server';
import { encodingSection } from './report';
import { stepLine } from './judge';
import { runScenario, type ScenarioResult } from './ladder';
import { FANOUT_HEADING, fanoutSection, type ReportMeta } from './report';
import { scenarios, type Scenario } from './scenarios';
import { runAged, type AgedOptions, type AgedResult } from './aged';
import { AGED_HEADING, agedSection } from './aged-report';

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
  'age-min': 'number',
  'until-min': 'number',
  'aged-rounds': 'number',
  'round-ms': 'number',
  'aged-clients': 'number',
  encoding: 'list',
});
const ENCODINGS = flags.encoding ?? ['json'];
for (const e of ENCODINGS) {
  if (e !== 'json' && e !== 'compact') {
    process.stderr.write(`bench:fanout: --encoding takes json and compact, got '${e}'\n`);
    process.exit(2);
  }
}

/** Tickerboard once per encoding asked for; the baselines as they are. */
function withEncodings(kinds: readonly ServerKind[]): ServerKind[] {
  return kinds.flatMap((k): ServerKind[] =>
    k === 'tickerboard'
      ? ENCODINGS.map((e) => (e === 'compact' ? 'tickerboard-compact' : 'tickerboard'))
      : [k],
  );
}
const QUICK = flags.quick;
const ONLY = flags.only;
const SERVERS = flags.servers && withEncodings(flags.servers as ServerKind[]);
/** Fixed rates instead of the ladder: every listed server once per rate, printed, not written. */
const RATES = flags.rates?.map(Number);
const WARMUP_MS = QUICK ? 1000 : 1500;
const MEASURE_MS = flags['measure-ms'] ?? (QUICK ? 2000 : 4000);
/** Whole-run budget: steps that would not fit are skipped and reported as such. */
const BUDGET_MS = (flags['budget-s'] ?? (QUICK ? 170 : 560)) * 1000;

/** The aged step's settings: half an hour and ten rounds of 20 s; a short smoke with --quick. */
function agedOptions(): AgedOptions {
  const ageMin = flags['age-min'] ?? (QUICK ? 0.5 : 30);
  return {
    ageMin,
    untilMin: Math.max(ageMin, flags['until-min'] ?? ageMin),
    freshRounds: QUICK ? 1 : 3,
    agedRounds: flags['aged-rounds'] ?? (QUICK ? 2 : 10),
    roundMs: flags['round-ms'] ?? (QUICK ? 3000 : 20_000),
    gapMs: QUICK ? 1000 : 10_000,
    sampleMs: QUICK ? 10_000 : 60_000,
  };
}

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
  const all = scenarios(QUICK);
  const list = all
    .filter((s) => !ONLY || ONLY.includes(s.id))
    .map((s) => ({ ...s, servers: withEncodings(s.servers) }));
  // The aged step runs after the ladders, on the first full-mode scenario's clients (2,000 x 20).
  const agedWanted = !RATES && (!ONLY || ONLY.includes('aged'));
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
  let aged: AgedResult | undefined;
  if (agedWanted) {
    const options = agedOptions();
    const full = all.find((s) => s.mode === 'full')!;
    // --aged-clients: fewer clients, e.g. for a long memory soak beside other work.
    const clients = flags['aged-clients'] ?? full.clients;
    const base =
      clients === full.clients
        ? full
        : {
            ...full,
            clients,
            title: `${fmt(clients)} clients x ${full.symbolsPerClient} symbols, full mode`,
          };
    log(`\naged step: ${base.title}, ${fmt(options.ageMin, 1)} min`);
    aged = await runAged(base, options);
  }
  const loadAfter = loadavg1();
  const agedBody = aged
    ? agedSection(
        aged,
        machine,
        `npm run bench:fanout -- ${process.argv.slice(2).join(' ')}`.trim(),
      )
    : undefined;
  if (agedBody) {
    const out = saveJson(QUICK ? 'fanout-aged-quick' : 'fanout-aged', { machine, aged });
    process.stdout.write(`\n${agedBody}\n\nraw figures: ${out}\n`);
    if (!QUICK && !flags['no-write']) writeSection(AGED_HEADING, agedBody);
  }
  if (!list.length) {
    log(`done in ${fmt((Date.now() - started) / 1000)} s, loadavg after ${loadAfter}`);
    if (aged?.error || (QUICK && aged?.rounds.some((r) => r.lost || r.duplicates)))
      process.exitCode = 1;
    return;
  }
  const body = fanoutSection(results, reportMeta(machine, noisy));
  const out = saveJson(QUICK ? 'fanout-quick' : RATES ? 'fanout-rates' : 'fanout', {
    machine,
    results,
    loadAfter,
  });
  process.stdout.write(`\n${body}\n\nraw figures: ${out}\n`);
  if (ENCODINGS.includes('compact')) process.stdout.write(`\n${encodingSection(results)}\n`);
  log(`done in ${fmt((Date.now() - started) / 1000)} s, loadavg after ${loadAfter}`);
  if (!QUICK && !RATES && !flags['no-write']) writeSection(FANOUT_HEADING, body);

  // A smoke run fails on errors and lost ticks, never on speed.
  const steps = results.flatMap((r) => r.summaries.flatMap((x) => x.steps));
  const broken = steps.filter(
    (r) => r.error || r.lost > 0 || r.duplicates > 0 || r.formatErrors > 0 || r.disconnected > 0,
  );
  if (aged?.error) log(`aged step: ${aged.error}`);
  const agedBroken = aged !== undefined && (aged.error !== undefined || aged.rounds.length === 0);
  if (steps.length === 0 || (QUICK && (broken.length > 0 || agedBroken))) {
    for (const r of broken) log(`broken: ${stepLine(r)}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
