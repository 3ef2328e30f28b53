// Cluster benchmark: bench:fanout's 2,000 clients x 20 symbols against today's single process and
// against 1, 2 and 3 cluster nodes (NATS JetStream bus, PostgreSQL store), then a failover with
// clients attached. `npm run bench:cluster [-- --quick]`.
//   --steps=single,single-pg,1-node,2-node,3-node,3-node-lb,failover  --clients=N  --symbols=N  --rate=TICK_RATE
//   --warmup-ms=N  --measure-ms=N  --idle-ms=N (no clients yet)  --observe-ms=N (failover)
//   --failover-nodes=N  --no-build  --no-write  --from-json=<saved runs> (re-render: first run's tables, a line per run)
//   --judge=N (with --from-json: verdicts on the first N runs only)
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { harnessFlags } from '../lib/args';
import { isNoisy, loadavg1, machineLine, pinSelf } from '../lib/proc';
import { fmt, log, saveJson, writeSection } from '../lib/report';
import { buildTickerboard, CLIENT_CORE, ROOT } from '../lib/server';
import { scenarios, symbolSets, type Scenario } from '../fanout/scenarios';
import {
  CLUSTER_HEADING,
  clusterSection,
  medianVerdicts,
  runsTable,
  stepLine,
  type SavedRun,
} from './report';
import { DEFAULT_TICK_RATE, runStep, type StepConfig, type StepResult } from './step';

const flags = harnessFlags('bench:cluster', {
  quick: 'flag',
  steps: 'list',
  clients: 'number',
  symbols: 'number',
  rate: 'number',
  'warmup-ms': 'number',
  'measure-ms': 'number',
  'observe-ms': 'number',
  'failover-nodes': 'number',
  'idle-ms': 'number',
  'from-json': 'list',
  judge: 'number',
  'no-build': 'flag',
  'no-write': 'flag',
});
const QUICK = flags.quick;
const ALL_STEPS = ['single', 'single-pg', '1-node', '2-node', '3-node', '3-node-lb', 'failover'];
/** The balancer's config as deployed; the -lb step is skipped while it does not exist. */
const BALANCER_CFG = process.env.BENCH_HAPROXY_CFG ?? join(ROOT, 'deploy', 'haproxy.cfg');
const STEPS = flags.steps ?? (QUICK ? ['single', '1-node', '2-node', 'failover'] : ALL_STEPS);
const RATE = flags.rate ?? DEFAULT_TICK_RATE;
const WARMUP_MS = flags['warmup-ms'] ?? (QUICK ? 1000 : 3000);
const MEASURE_MS = flags['measure-ms'] ?? (QUICK ? 2000 : 10_000);
const OBSERVE_MS = flags['observe-ms'] ?? (QUICK ? 13_000 : 20_000);
const IDLE_MS = flags['idle-ms'] ?? (QUICK ? 0 : 3000);
const FAILOVER_NODES = flags['failover-nodes'] ?? (QUICK ? 2 : 3);

/**
 * Re-renders saved runs without measuring: the first file's tables, and one line per file to show
 * how the runs agree.
 */
function renderSaved(files: string[]): void {
  const runs: SavedRun[] = files.map((file) => ({
    file,
    ...(JSON.parse(readFileSync(file, 'utf8')) as Omit<SavedRun, 'file'>),
  }));
  // --judge=N: the verdicts rest on the first N runs; the others are listed for the record.
  const judged = runs.slice(0, flags.judge ?? runs.length);
  // A balancer step measured in another run (e.g. once the config landed) joins the first run's
  // tables, labelled with its run.
  const first = runs[0];
  const lbRun = runs.find((r) => r.results.some((x) => x.id.endsWith('-lb') && x.window));
  if (lbRun && lbRun !== first) {
    const lb = lbRun.results.find((x) => x.id.endsWith('-lb') && x.window) as StepResult;
    const when = /(\d\d:\d\d) UTC/.exec(lbRun.meta.machine)?.[1] ?? '?';
    const copy = { ...lb, label: `${lb.id}, from the run of ${when} UTC` };
    first.results = [...first.results.filter((x) => !x.id.endsWith('-lb')), copy];
    first.results.sort((a, b) => Number(a.id === 'failover') - Number(b.id === 'failover'));
  }
  const body = [
    `### Verdicts over ${judged.length} runs (npm run bench:cluster, run one after another)`,
    '',
    medianVerdicts(judged),
    '',
    clusterSection(runs[0].results, runs[0].meta),
    '',
    `### Every run (the tables above are the run of ${runs[0].meta.machine.replace(/^.*, (\d{4}-\d\d-\d\d \d\d:\d\d) UTC.*$/, '$1')})`,
    '',
    runsTable(runs),
    '',
    `Raw figures: ${runs.map((r) => `\`${relative(ROOT, r.file)}\``).join(', ')}.`,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (!flags['no-write']) writeSection(CLUSTER_HEADING, body);
}

async function main(): Promise<void> {
  if (flags['from-json']) return renderSaved(flags['from-json']);
  const bad = STEPS.filter((s) => !ALL_STEPS.includes(s));
  if (bad.length)
    throw new Error(`unknown step(s) ${bad.join(', ')}; steps: ${ALL_STEPS.join(', ')}`);
  pinSelf(CLIENT_CORE);
  const started = Date.now();
  const machine = machineLine();
  const noisy = isNoisy();
  log(`cluster benchmark${QUICK ? ' (quick)' : ''}: ${machine}`);
  if (!flags['no-build']) {
    log('building Tickerboard (nest build)...');
    buildTickerboard();
  }
  // The same clients and symbol sets as bench:fanout's 2,000 x 20 scenario.
  const full = scenarios(false).find((s) => s.id === 'full-2k') as Scenario;
  const scenario: Scenario = {
    ...full,
    clients: flags.clients ?? (QUICK ? 100 : full.clients),
    symbolsPerClient: flags.symbols ?? full.symbolsPerClient,
  };
  const sets = symbolSets(scenario);
  const results: StepResult[] = [];
  for (const id of STEPS) {
    const lb = id.endsWith('-lb');
    const cluster = /^\d-node/.test(id);
    const nodes = id === 'failover' ? FAILOVER_NODES : cluster ? Number(id[0]) : 1;
    if (lb && !existsSync(BALANCER_CFG)) {
      const skipped = `${relative(ROOT, BALANCER_CFG)} does not exist in this checkout`;
      log(`\n${id}: not run: ${skipped}`);
      results.push({ id, kind: 'cluster', nodes, tickRate: RATE, clients: sets.length, skipped });
      continue;
    }
    const cfg: StepConfig = {
      id,
      balancer: lb ? BALANCER_CFG : undefined,
      kind: id === 'failover' ? 'failover' : cluster ? 'cluster' : (id as 'single'),
      nodes,
      tickRate: RATE,
      sets,
      warmupMs: WARMUP_MS,
      measureMs: MEASURE_MS,
      observeMs: OBSERVE_MS,
      idleMs: id === 'failover' ? 0 : IDLE_MS,
    };
    log(
      `\n${id}: ${nodes} node(s), ${sets.length} clients x ${scenario.symbolsPerClient} symbols, TICK_RATE ${RATE}`,
    );
    const r = await runStep(cfg);
    log(`  ${stepLine(r)}`);
    results.push(r);
  }
  const loadAfter = loadavg1();
  const meta = {
    machine,
    noisy,
    quick: QUICK,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    observeMs: OBSERVE_MS,
    idleMs: IDLE_MS,
    clients: sets.length,
    symbols: scenario.symbolsPerClient,
    tickRate: RATE,
    loadAfter,
    command: `npm run bench:cluster${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  };
  const body = clusterSection(results, meta);
  const out = saveJson(QUICK ? 'cluster-quick' : 'cluster', { meta, results });
  process.stdout.write(`\n${body}\n\nraw figures: ${out}\n`);
  log(`done in ${fmt((Date.now() - started) / 1000)} s, loadavg after ${loadAfter}`);
  if (!QUICK && !flags['no-write']) writeSection(CLUSTER_HEADING, body);

  // A smoke run fails on errors and lost or reused ticks, never on speed.
  const broken = results.filter(
    (r) =>
      r.error ||
      (!r.window && !r.skipped) ||
      (r.window &&
        (r.window.totalLost > 0 || r.window.totalDuplicates > 0 || r.window.formatErrors > 0)) ||
      (r.failover?.report?.reusedSeqs ?? 0) > 0,
  );
  if (broken.length > 0) {
    for (const r of broken) log(`broken: ${stepLine(r)}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
