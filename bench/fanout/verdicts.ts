// A run of the goals' scenario judged against GOALS: the rows of the goals table in RESULTS.md.
import { fmt } from '../lib/report';
import type { ServerKind } from '../lib/server';
import { GOALS, meets, type Goal, type GoalId } from './goals';
import type { StepResult } from './judge';
import type { ScenarioResult, ServerSummary } from './ladder';

export interface GoalVerdict {
  goal: string;
  measured: string;
  verdict: 'pass' | 'MISSED' | 'not measured' | 'shown';
}

/** The highest ladder rate at which every listed server passed, for same-load comparisons. */
function commonRate(res: ScenarioResult, kinds: ServerKind[]): number | undefined {
  const passedBy = (k: ServerKind): Set<number> =>
    new Set(
      res.summaries
        .find((x) => x.server === k)
        ?.steps.filter((r) => r.pass)
        .map((r) => r.rate) ?? [],
    );
  const sets = kinds.map(passedBy);
  const rates = [...sets[0]].filter((r) => sets.every((set) => set.has(r)));
  return rates.length ? Math.max(...rates) : undefined;
}

function stepAt(res: ScenarioResult, k: ServerKind, rate: number): StepResult | undefined {
  return res.summaries.find((x) => x.server === k)?.steps.find((r) => r.rate === rate && r.pass);
}

const summary = (res: ScenarioResult, k: ServerKind): ServerSummary | undefined =>
  res.summaries.find((x) => x.server === k);

/** A sustained figure that is only a lower bound, and why. */
const lowerBound = (x?: ServerSummary): string =>
  x?.limit === 'load generator saturated' || x?.limit === 'top of the ladder'
    ? ` (at least; ${x.limit})`
    : '';

function cpuPerTick(g: Goal, res: ScenarioResult): GoalVerdict[] {
  const [metric] = g.metrics;
  const out: GoalVerdict[] = [];
  const ref = commonRate(res, ['tickerboard', 'nest-per-tick', 'socketio-per-tick']);
  if (ref !== undefined) {
    const [a, b, c] = (['tickerboard', 'nest-per-tick', 'socketio-per-tick'] as const).map(
      (k) => stepAt(res, k, ref)?.[metric] ?? NaN,
    );
    out.push({
      goal: g.text,
      measured: `at TICK_RATE ${ref} (highest step A, B and C all sustained): A ${fmt(a, 2)} us, B ${fmt(b, 2)} us, C ${fmt(c, 2)} us; A/B ${fmt(a / b, 2)}, A/C ${fmt(a / c, 2)}`,
      verdict: meets(g, a, b) && meets(g, a, c) ? 'pass' : 'MISSED',
    });
  } else {
    out.push({
      goal: g.text,
      measured: 'no rate that A, B and C all sustained',
      verdict: 'not measured',
    });
  }
  // The first same-load rate is the product's default feed, where the goal is judged; the others
  // are shown only.
  for (const [i, same] of (res.scenario.sameLoadRates ?? []).entries()) {
    const at = (k: ServerKind) => summary(res, k)?.steps.find((r) => r.rate === same);
    const [ra, rb, rc, rd] = [
      at('tickerboard'),
      at('nest-per-tick'),
      at('socketio-per-tick'),
      at('ws-batched'),
    ];
    const [a, b, c, d] = [ra, rb, rc, rd].map((r) => r?.[metric] ?? NaN);
    const state = (r?: StepResult) =>
      r ? (r.pass ? 'kept up' : `did not keep up: ${r.reasons[0]}`) : 'not run';
    const judged = i === 0;
    out.push({
      goal: judged
        ? `${g.text}, at the product's default feed rate`
        : `The same ratios on a denser feed (TICK_RATE ${same}), for comparison only`,
      measured:
        `at TICK_RATE ${same} (same offered ticks for all): A ${fmt(a, 2)} us (${state(ra)}), B ${fmt(b, 2)} us (${state(rb)}), C ${fmt(c, 2)} us (${state(rc)}); A/B ${fmt(a / b, 2)}, A/C ${fmt(a / c, 2)}.` +
        ` The raw-ws floor D: ${fmt(d, 2)} us (${state(rd)}), D/B ${fmt(d / b, 2)}, D/C ${fmt(d / c, 2)}`,
      verdict: !judged
        ? 'shown'
        : Number.isNaN(a / b) || Number.isNaN(a / c)
          ? 'not measured'
          : meets(g, a, b) && meets(g, a, c)
            ? 'pass'
            : 'MISSED',
    });
  }
  return out;
}

function deliveries(g: Goal, res: ScenarioResult): GoalVerdict[] {
  const [metric] = g.metrics;
  const a = summary(res, 'tickerboard');
  const c = summary(res, 'socketio-per-tick');
  if (!a?.sustained || !c?.sustained)
    return [{ goal: g.text, measured: 'A or C sustained no step', verdict: 'not measured' }];
  const ratio = a.sustained[metric] / c.sustained[metric];
  const aCapped =
    a.limit === 'load generator saturated'
      ? a.steps.find((r) => r.generatorBound && r.rate > (a.sustained?.rate ?? 0))
      : undefined;
  return [
    {
      goal: g.text,
      measured:
        `A ${fmt(a.sustained[metric])}/s${lowerBound(a)}, C ${fmt(c.sustained[metric])}/s${lowerBound(c)}: ${fmt(ratio, 2)} x` +
        (aCapped && !meets(g, ratio)
          ? `; A's next step was stopped by the load generator (delivered ${fmt(aCapped.deliveredPerSec)}/s, p99 ${aCapped.p99} ms, generator ${fmt(aCapped.generatorCpuPct)} %), so A's limit is above what this harness can check`
          : ''),
      // Short of the goal with A capped by the load generator is a lower bound, not a measured miss.
      verdict: meets(g, ratio) ? 'pass' : aCapped ? 'not measured' : 'MISSED',
    },
  ];
}

function floor(g: Goal, res: ScenarioResult): GoalVerdict[] {
  const [capacity, cost] = g.metrics;
  const a = summary(res, 'tickerboard');
  const d = summary(res, 'ws-batched');
  if (!a?.sustained || !d?.sustained)
    return [{ goal: g.text, measured: 'A or D sustained no step', verdict: 'not measured' }];
  const ratio = d.sustained[capacity] / a.sustained[capacity];
  const refAD = commonRate(res, ['tickerboard', 'ws-batched']);
  const cpuA = refAD !== undefined ? stepAt(res, 'tickerboard', refAD)?.[cost] : NaN;
  const cpuD = refAD !== undefined ? stepAt(res, 'ws-batched', refAD)?.[cost] : NaN;
  const cpuRatio = (cpuA ?? NaN) / (cpuD ?? NaN);
  return [
    {
      goal: g.text,
      measured: `D/A sustained ${fmt(ratio, 2)} x (D ${fmt(d.sustained[capacity])}/s${lowerBound(d)}); A/D CPU per tick at TICK_RATE ${refAD ?? 'n/a'}: ${fmt(cpuRatio, 2)} x`,
      verdict: meets(g, ratio) && meets(g, cpuRatio) ? 'pass' : 'MISSED',
    },
  ];
}

function p99(g: Goal, res: ScenarioResult): GoalVerdict[] {
  const [metric] = g.metrics;
  const a = summary(res, 'tickerboard');
  const halfRate = a?.sustained ? Math.round(a.sustained.rate / 2) : NaN;
  const half = a?.half ?? a?.steps.find((r) => r.rate === halfRate && !r.error);
  return [
    {
      goal: g.text,
      measured: half
        ? `A at TICK_RATE ${half.rate} (half its sustained rate): p99 ${half[metric]} ms; at its sustained rate ${a?.sustained?.[metric]} ms`
        : 'A sustained no step, or its half-rate step was not run',
      verdict: half ? (meets(g, half[metric]) ? 'pass' : 'MISSED') : 'not measured',
    },
  ];
}

const JUDGE: Record<GoalId, (g: Goal, res: ScenarioResult) => GoalVerdict[]> = {
  'cpu-per-tick': cpuPerTick,
  deliveries,
  floor,
  p99,
};

/** Every goal's rows, in the order of GOALS, for the run of the scenario the goals are set on. */
export function judgeGoals(res: ScenarioResult | undefined): GoalVerdict[] {
  return res ? GOALS.flatMap((g) => JUDGE[g.id](g, res)) : [];
}
