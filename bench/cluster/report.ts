// The "Cluster" section of bench/RESULTS.md: a table per step, the bus tax, p99 per node, the
// failover gap, and verdicts against the targets of the cluster issue.
import { fmt, table } from '../lib/report';
import { LEASE_TTL_MS, type StepResult } from './step';

export const CLUSTER_HEADING = '## Cluster (npm run bench:cluster)';

export const TARGETS = {
  busTaxPct: 15,
  p99Ms: 50,
  failoverGapMs: LEASE_TTL_MS + 5_000,
};

export interface ClusterMeta {
  machine: string;
  noisy: boolean;
  quick: boolean;
  warmupMs: number;
  measureMs: number;
  observeMs: number;
  idleMs: number;
  clients: number;
  symbols: number;
  tickRate: number;
  loadAfter: number;
  command: string;
}

const LABELS: Record<string, string> = {
  single: 'single: today’s single process (no NATS, SQLite)',
  'single-pg': 'single-pg: single process, PostgreSQL store (no NATS)',
  '1-node': '1-node cluster',
  '2-node': '2-node cluster',
  '3-node': '3-node cluster',
  '3-node-lb': '3-node cluster, clients through the balancer (deploy/haproxy.cfg)',
  failover: 'failover',
};

function ticks(r: StepResult): number {
  return r.window ? r.window.nodes.reduce((s, n) => s + n.ticks, 0) : 0;
}

export function usPerTick(r: StepResult): number | undefined {
  const t = ticks(r);
  return r.cpuMicros !== undefined && t > 0 ? r.cpuMicros / t : undefined;
}

function lost(r: StepResult): number {
  return r.window ? r.window.totalLost : NaN;
}

function dup(r: StepResult): number {
  return r.window ? r.window.totalDuplicates : NaN;
}

/** Worst p99 over the nodes of a step. */
function worstP99(r: StepResult): number {
  return r.window
    ? Math.max(...r.window.nodes.filter((n) => n.clients > 0).map((n) => n.p99))
    : NaN;
}

export function stepLine(r: StepResult): string {
  if (r.skipped) return `${r.id}: not run: ${r.skipped}`;
  if (r.error) return `${r.id}: ERROR ${r.error.split('\n')[0]}`;
  const w = r.window;
  if (r.failover) {
    const f = r.failover;
    const s = f.report?.survivors;
    return `${r.id}: killed ${f.killed}, new leader ${f.newLeader} after ${fmt(f.electedMs)} ms; survivors' gap p50/max ${fmt(s?.p50)}/${fmt(s?.max)} ms (silent ${s?.silent}); reconnected max ${fmt(f.report?.reconnected?.max)} ms; lost ${lost(r)}, dup ${dup(r)}, reused ${f.report?.reusedSeqs}; store dup ${f.store?.duplicates} holes ${f.store?.holes}`;
  }
  const perNode = w?.nodes.map((n) => `${n.p99}`).join('/');
  return `${r.id}: ${fmt(ticks(r) / (r.seconds ?? 1))} deliveries/s, ${fmt(usPerTick(r), 2)} us/tick (${(r.procs ?? []).map((p) => `${p.name} ${fmt(p.cpuMicros / Math.max(1, ticks(r)), 2)}`).join(', ')}), p99 per node ${perNode} ms, lost ${lost(r)}, dup ${dup(r)}, generator ${fmt(r.genCpuPct)} %, core 0 used by others ${fmt(r.foreignCore0Pct)} %`;
}

function stepTable(r: StepResult): string {
  if (r.skipped) return `**${LABELS[r.id] ?? r.id}**: not run: ${r.skipped}.`;
  if (r.error)
    return `**${LABELS[r.id] ?? r.id}**: not measured, the step failed: ${r.error.split('\n')[0]}`;
  const w = r.window!;
  const t = ticks(r);
  const sec = r.seconds ?? NaN;
  const rows: string[][] = (r.procs ?? []).map((p) => [
    p.name,
    fmt(p.idlePct, 1),
    fmt((p.cpuMicros / (sec * 1e6)) * 100, 1),
    fmt(p.cpuMicros / t, 2),
    p.sysMicros !== undefined ? fmt(p.sysMicros / t, 2) : 'n/a',
  ]);
  const idleSum = (r.procs ?? []).reduce((s, p) => s + (p.idlePct ?? NaN), 0);
  rows.push([
    '**all server processes**',
    fmt(idleSum, 1),
    fmt(((r.cpuMicros ?? NaN) / (sec * 1e6)) * 100, 1),
    `**${fmt(usPerTick(r), 2)}**`,
    '',
  ]);
  const nodes = table(
    [
      'node',
      'clients',
      'deliveries/s',
      'of expected',
      'ticks per frame',
      'p50 / p99 / p99.9 / max ms',
      'lost',
      'dup',
      'stream lag at end',
    ],
    w.nodes.map((n, i) => [
      r.kind === 'single' || r.kind === 'single-pg' ? 'single' : `node-${i}`,
      fmt(n.clients),
      fmt(n.ticks / sec),
      n.expected > 0 ? `${fmt((n.ticks / n.expected) * 100, 1)} %` : 'n/a',
      fmt(n.ticks / n.frames, 2),
      `${n.p50} / ${n.p99} / ${n.p999} / ${n.max}`,
      fmt(n.lost),
      fmt(n.duplicates),
      r.lagAtEnd ? fmt(r.lagAtEnd[i]) : 'n/a',
    ]),
  );
  return [
    `**${LABELS[r.id] ?? r.id}${r.label ? ` (${r.label})` : ''}** (${fmt(sec, 1)} s measured; ${fmt(t / sec)} deliveries/s; load generator ${fmt(r.genCpuPct)} % of its core; cores busy ${(r.coreBusyPct ?? []).map((p) => `${fmt(p)} %`).join(' / ')}, of core 0 ${fmt(r.foreignCore0Pct)} % by processes not in this run)`,
    '',
    table(
      [
        'process (core 0)',
        'CPU % of a core, no clients',
        'CPU % of a core, measured',
        'CPU us per delivered tick',
        'of which kernel',
      ],
      rows,
    ),
    '',
    nodes,
  ].join('\n');
}

function failoverText(r: StepResult): string {
  if (r.error) return `Failover: not measured, the step failed: ${r.error.split('\n')[0]}`;
  const f = r.failover!;
  const rep = f.report;
  const s = rep?.survivors;
  const re = rep?.reconnected;
  const w = r.window!;
  const survLost = w.nodes.reduce((a, n) => a + n.lost, 0);
  const survDup = w.nodes.reduce((a, n) => a + n.duplicates, 0);
  const rows: string[][] = [];
  if (s)
    rows.push([
      `clients of the surviving nodes (stay connected)`,
      fmt(s.clients),
      fmt(s.silent),
      `${fmt(s.p50)} / ${fmt(s.p99)} / **${fmt(s.max)}**`,
      `${fmt(s.beforeMs)} / ${fmt(s.afterMs)}`,
      fmt(s.tsGapOfMax),
      fmt(survLost),
      fmt(survDup),
    ]);
  if (re)
    rows.push([
      `clients of the killed node (reconnect to a survivor with \`resume\`)`,
      fmt(re.clients),
      fmt(re.silent),
      `${fmt(re.p50)} / ${fmt(re.p99)} / **${fmt(re.max)}**`,
      `${fmt(re.beforeMs)} / ${fmt(re.afterMs)}`,
      fmt(re.tsGapOfMax),
      fmt(w.reconnected?.lost),
      fmt(w.reconnected?.duplicates),
    ]);
  const lines = [
    `Killed (SIGKILL) the leader ${f.killed} of ${r.nodes} nodes with ${fmt(r.clients)} clients attached; a surviving node's \`GET /api/cluster\` named the new leader ${f.newLeader ?? '(none)'} after **${fmt(f.electedMs)} ms**. Watched for ${fmt(r.seconds ?? NaN)} s after the kill.`,
    '',
    table(
      [
        'clients',
        'n',
        'no tick after the kill',
        'gap per client p50 / p99 / max ms',
        'worst client: last tick before / first after, ms from the kill',
        'worst client: tick ts gap ms',
        'lost (seq gaps)',
        'seq seen again',
      ],
      rows,
    ),
    '',
  ];
  if (re)
    lines.push(
      `Reconnecting the killed node's clients: ${fmt(re.reconnectMs)} ms for all of them (started once every connection had closed), ${re.failedToReconnect} failed${re.firstError ? ` (${re.firstError})` : ''}, ${re.unresumable} symbol(s) answered unresumable.`,
    );
  lines.push(
    `Reuse check: ${fmt(rep?.reusedSeqs)} (symbol, seq) pairs were delivered with two different tick timestamps, over ${fmt(rep?.checkedPairs)} deliveries checked after the kill.`,
  );
  if (f.store)
    lines.push(
      `Store: ${f.store.storeCaughtUpMs === undefined ? 'not waited for (this run predates the wait)' : f.store.storeCaughtUpMs !== null ? `held every tick a client saw ${fmt(f.store.storeCaughtUpMs)} ms after the watch ended` : 'still behind what clients saw 30 s after the watch ended'}; after the survivors stopped (SIGTERM): ${fmt(f.store.rows)} tick rows for ${f.store.symbols} symbols, ${fmt(f.store.duplicates)} duplicate (symbol, seq), ${fmt(f.store.holes)} seqs missing between 1 and each symbol's highest, ${fmt(f.store.behindClients)} ticks clients saw that the store does not hold.`,
    );
  return lines.join('\n');
}

export function clusterSection(results: StepResult[], meta: ClusterMeta): string {
  const by = new Map(results.map((r) => [r.id, r]));
  const single = by.get('single');
  const singleCost = single ? usPerTick(single) : undefined;
  const singlePg = by.get('single-pg');
  const singlePgCost = singlePg ? usPerTick(singlePg) : undefined;
  const clusterSteps = results.filter((r) => r.kind === 'cluster' && r.window);
  /** The bus tax is judged on direct connections; the balancer step adds HAProxy's own cost. */
  const busSteps = clusterSteps.filter((r) => !r.id.endsWith('-lb'));
  const lbStep = results.find((r) => r.id.endsWith('-lb'));

  const taxRows = clusterSteps.map((r) => {
    const c = usPerTick(r);
    const tax = c !== undefined && singleCost ? (c / singleCost - 1) * 100 : undefined;
    const taxPg = c !== undefined && singlePgCost ? (c / singlePgCost - 1) * 100 : undefined;
    return [
      r.id,
      fmt(c, 2),
      fmt(singleCost, 2),
      tax !== undefined ? `${fmt(tax, 0)} %` : 'n/a',
      singlePg ? (taxPg !== undefined ? `${fmt(taxPg, 0)} %` : 'n/a') : 'not run',
      r.window ? r.window.nodes.map((n) => `${n.p99}`).join(' / ') : 'n/a',
    ];
  });

  const fo = by.get('failover');
  const gap = fo?.failover?.report?.survivors.max;
  const reGap = fo?.failover?.report?.reconnected?.max;
  const worstTax = Math.max(
    ...busSteps.map((r) => {
      const c = usPerTick(r);
      return c !== undefined && singleCost ? (c / singleCost - 1) * 100 : NaN;
    }),
  );
  const p99s = results
    .filter((r) => r.kind !== 'failover' && r.window)
    .map((r) => [r.id, worstP99(r)] as const);
  const anyLost = results.some((r) => r.error || lost(r) > 0 || dup(r) > 0);
  const reused = (fo?.failover?.report?.reusedSeqs ?? 0) + (fo?.failover?.store?.duplicates ?? 0);
  const verdict = (ok: boolean | undefined): string =>
    ok === undefined ? 'not measured' : ok ? 'pass' : 'MISSED';
  const goals = table(
    ['target', 'measured', 'verdict'],
    [
      [
        `bus tax <= ${TARGETS.busTaxPct} % of CPU per delivered tick`,
        busSteps.length && singleCost
          ? busSteps
              .map((r) => `${r.id} ${fmt(((usPerTick(r) ?? NaN) / singleCost - 1) * 100, 0)} %`)
              .join(', ')
          : 'n/a',
        verdict(Number.isFinite(worstTax) ? worstTax <= TARGETS.busTaxPct : undefined),
      ],
      [
        `p99 <= ${TARGETS.p99Ms} ms on every node`,
        p99s.map(([id, p]) => `${id} ${p}`).join(', ') + ' (worst node per step, ms)',
        verdict(p99s.length ? p99s.every(([, p]) => p <= TARGETS.p99Ms) : undefined),
      ],
      [
        `failover gap <= TTL + 5 s (${fmt(TARGETS.failoverGapMs)} ms)`,
        gap !== undefined
          ? `${fmt(gap)} ms (longest gap of a client on a surviving node); ${fmt(reGap)} ms for the killed node's clients, reconnect included`
          : 'n/a',
        verdict(
          gap !== undefined && Number.isFinite(gap) ? gap <= TARGETS.failoverGapMs : undefined,
        ),
      ],
      [
        'nothing lost, nothing reused',
        `seq gaps ${results.reduce((s, r) => s + (lost(r) || 0), 0)}, seqs seen twice ${results.reduce((s, r) => s + (dup(r) || 0), 0)}, (symbol, seq) with two ticks ${fmt(fo?.failover?.report?.reusedSeqs)}, store duplicates ${fmt(fo?.failover?.store?.duplicates)}, store holes ${fmt(fo?.failover?.store?.holes)}`,
        verdict(
          results.length
            ? !anyLost && reused === 0 && (fo?.failover?.store?.holes ?? 0) === 0
            : undefined,
        ),
      ],
      lbStep?.window
        ? [
            `${lbStep.label ?? lbStep.id}: through the balancer, p99 <= ${TARGETS.p99Ms} ms on every node, nothing lost`,
            `${fmt(usPerTick(lbStep), 2)} us/tick (HAProxy included); clients per node ${lbStep.window.nodes.map((n) => n.clients).join(' / ')}; p99 per node ${lbStep.window.nodes.map((n) => n.p99).join(' / ')} ms; seq gaps ${lost(lbStep)}, seen twice ${dup(lbStep)}`,
            verdict(worstP99(lbStep) <= TARGETS.p99Ms && lost(lbStep) === 0 && dup(lbStep) === 0),
          ]
        : [
            'the same, once through the balancer',
            `not measured: ${lbStep?.skipped ?? (lbStep?.error ? `the step failed: ${lbStep.error.split('\n')[0]}` : 'not run')}`,
            'not measured',
          ],
    ],
  );

  return [
    `Machine: ${meta.machine}${meta.noisy ? ' (**noisy**: loadavg over 1.5 before the run; other work was running on this machine)' : ''}; loadavg after ${meta.loadAfter}.`,
    '',
    `Command: \`${meta.command}\`${meta.quick ? ' (quick: smoke figures only)' : ''}.`,
    '',
    `How: ${fmt(meta.clients)} clients x ${meta.symbols} symbols (bench:fanout's seeded sets), full mode, TICK_RATE ${meta.tickRate}. With 2 cores the only honest split is bench:fanout's: **everything on the server side shares core 0** (every node, nats-server, and the PostgreSQL backends serving this run's database, pinned with \`taskset\` once they appear) and the load generator has core 1. Every step starts its own nats-server (JetStream, temporary store) and a fresh PostgreSQL database, dropped after the step. Nodes start one at a time, each waited for until \`GET /api/health/ready\` is 200; clients are spread round-robin over the nodes and connect to them directly. Each step: ${meta.idleMs > 0 ? `2 s to settle, ${fmt(meta.idleMs / 1000, 1)} s with the feed running and no clients (the "no clients" column: the stream's cost on each node before any fan-out), then ` : ''}connect, subscribe, ${fmt(meta.warmupMs / 1000, 1)} s warm-up, ${fmt(meta.measureMs / 1000, 1)} s measured. CPU is utime+stime from /proc/<pid>/stat of every node, nats-server and the database's backends (PostgreSQL's shared processes, WAL writer and checkpointer, are not attributable to one database and are not counted); "CPU per delivered tick" is their sum over the ticks all clients received. Every client checks seq per symbol (a gap is a loss, a seq seen again a duplicate). Latency is receipt minus the tick's \`ts\` (set by the leader), so on a follower it includes the hop through nats-server.`,
    '',
    '### Bus tax: CPU per delivered tick against today’s single process',
    '',
    table(
      [
        'step',
        'us/tick (all server processes)',
        'single us/tick',
        'bus tax vs single',
        'vs single on PostgreSQL',
        'p99 per node ms',
      ],
      taxRows,
    ),
    '',
    '### Verdicts (this run)',
    '',
    goals,
    '',
    '### Steps',
    '',
    ...results.filter((r) => r.kind !== 'failover').flatMap((r) => [stepTable(r), '']),
    '### Failover',
    '',
    fo ? failoverText(fo) : 'Not run.',
  ].join('\n');
}

export interface SavedRun {
  file: string;
  meta: ClusterMeta;
  results: StepResult[];
}

/** One line per run: the figures the verdicts rest on, to show how far runs agree. */
export function runsTable(runs: SavedRun[]): string {
  const rows = runs.map((run) => {
    const by = new Map(run.results.map((r) => [r.id, r]));
    const cost = (id: string): number | undefined => {
      const r = by.get(id);
      return r ? usPerTick(r) : undefined;
    };
    const single = cost('single');
    const tax = (id: string): string => {
      const c = cost(id);
      return c !== undefined && single ? `${fmt((c / single - 1) * 100, 0)} %` : 'n/a';
    };
    const fo = by.get('failover')?.failover?.report;
    const foreign = run.results
      .filter((r) => r.foreignCore0Pct !== undefined)
      .map((r) => r.foreignCore0Pct as number);
    return [
      run.meta.machine.replace(
        /^.*, (\d{4}-\d\d-\d\d \d\d:\d\d) UTC.*loadavg before the run ([\d.]+).*$/,
        '$1 (load $2)',
      ),
      foreign.length ? `${fmt(Math.min(...foreign))}-${fmt(Math.max(...foreign))} %` : 'n/a',
      ['single', 'single-pg', '1-node', '2-node', '3-node']
        .map((id) => fmt(cost(id), 2))
        .join(' / '),
      ['1-node', '2-node', '3-node'].map(tax).join(' / '),
      ['single', '1-node', '2-node', '3-node']
        .map((id) => {
          const r = by.get(id);
          return r ? fmt(worstP99(r)) : 'n/a';
        })
        .join(' / '),
      fo ? `${fmt(fo.survivors.max)} / ${fmt(fo.reconnected?.max)}` : 'n/a',
      run.results.some((r) => !r.skipped && (r.error || lost(r) !== 0 || dup(r) !== 0)) ||
      (fo?.reusedSeqs ?? 0) > 0
        ? 'NO'
        : 'yes',
    ];
  });
  return table(
    [
      'run (UTC)',
      'core 0 taken by other work',
      'us/tick single / single-pg / 1 / 2 / 3 nodes',
      'bus tax 1 / 2 / 3 nodes',
      'worst-node p99 ms single / 1 / 2 / 3 nodes',
      'failover gap ms survivors / reconnected',
      'nothing lost or reused',
    ],
    rows,
  );
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The targets judged on the median over runs, each run's figure shown. */
export function medianVerdicts(runs: SavedRun[]): string {
  const maps = runs.map((run) => new Map(run.results.map((r) => [r.id, r])));
  const cost = (m: Map<string, StepResult>, id: string): number => {
    const r = m.get(id);
    return (r && usPerTick(r)) ?? NaN;
  };
  const row = (label: string, values: number[], unit: string, ok: (x: number) => boolean) => {
    const med = median(values);
    const all = values.every(ok);
    const verdict = !Number.isFinite(med)
      ? 'not measured'
      : ok(med)
        ? all
          ? 'pass'
          : 'pass on the median (not in every run)'
        : 'MISSED';
    return [
      label,
      values.map((v) => fmt(v, 0)).join(', ') + unit,
      `${fmt(med, 0)}${unit}`,
      verdict,
    ];
  };
  const rows: string[][] = [];
  for (const id of ['1-node', '2-node', '3-node'])
    rows.push(
      row(
        `bus tax, ${id} vs single (<= ${TARGETS.busTaxPct} %)`,
        maps.map((m) => (cost(m, id) / cost(m, 'single') - 1) * 100),
        ' %',
        (x) => x <= TARGETS.busTaxPct,
      ),
    );
  for (const id of ['2-node', '3-node'])
    rows.push(
      row(
        `(shown) bus tax, ${id} vs single-pg`,
        maps.map((m) => (cost(m, id) / cost(m, 'single-pg') - 1) * 100),
        ' %',
        () => true,
      ).map((c, i) => (i === 3 ? 'shown' : c)),
    );
  for (const id of ['single', '1-node', '2-node', '3-node'])
    rows.push(
      row(
        `p99, worst node, ${id} (<= ${TARGETS.p99Ms} ms)`,
        maps.map((m) => {
          const r = m.get(id);
          return r ? worstP99(r) : NaN;
        }),
        ' ms',
        (x) => x <= TARGETS.p99Ms,
      ),
    );
  rows.push(
    row(
      `failover gap, clients of surviving nodes (<= ${fmt(TARGETS.failoverGapMs)} ms)`,
      maps.map((m) => m.get('failover')?.failover?.report?.survivors.max ?? NaN),
      ' ms',
      (x) => x <= TARGETS.failoverGapMs,
    ),
  );
  rows.push(
    row(
      `failover gap, clients of the killed node, reconnect and resume included (<= ${fmt(TARGETS.failoverGapMs)} ms)`,
      maps.map((m) => m.get('failover')?.failover?.report?.reconnected?.max ?? NaN),
      ' ms',
      (x) => x <= TARGETS.failoverGapMs,
    ),
  );
  const broken = (m: Map<string, StepResult>): number => {
    let n = 0;
    for (const r of m.values()) {
      if (r.skipped) continue;
      if (r.error || !r.window) n++;
      else n += r.window.totalLost + r.window.totalDuplicates;
      n += r.failover?.report?.reusedSeqs ?? 0;
      n += (r.failover?.store?.duplicates ?? 0) + (r.failover?.store?.holes ?? 0);
    }
    return n;
  };
  rows.push(
    row(
      'nothing lost, nothing reused (seq gaps + seqs seen twice + reused (symbol, seq) + store duplicates and holes)',
      maps.map(broken),
      '',
      (x) => x === 0,
    ),
  );
  return table(['target', 'each run', 'median', 'verdict'], rows);
}
