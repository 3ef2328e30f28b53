// The fan-out goals as data. Each threshold lives here only: the goals table in RESULTS.md
// (verdicts.ts), the ladder's p99 limit and the medians report all read it from GOALS.

/** The scenario the goals are set on: 2,000 clients x 20 symbols, full mode. */
export const GOAL_SCENARIO = 'full-2k';

export type GoalId = 'cpu-per-tick' | 'deliveries' | 'floor' | 'p99';
export type Comparison = '<=' | '>=';
/** The StepResult figures a goal is judged on. */
export type StepMetric = 'cpuMicrosPerTick' | 'deliveredPerSec' | 'p99';

export interface Goal {
  id: GoalId;
  /** What the goal is about. */
  measures: string;
  /** The figures it reads... */
  metrics: readonly StepMetric[];
  /** ...and from which steps. */
  reads: string;
  threshold: number;
  comparison: Comparison;
  /** The goal as printed in RESULTS.md, built from the fields above. */
  text: string;
}

type GoalSpec = Omit<Goal, 'text'> & { sentence: (threshold: number, cmp: Comparison) => string };

const TABLE: readonly GoalSpec[] = [
  {
    id: 'cpu-per-tick',
    measures: "A's server CPU per delivered tick against the per-tick gateways B and C",
    metrics: ['cpuMicrosPerTick'],
    reads: 'A/B and A/C at the highest ladder rate all three passed, and at each same-load rate',
    threshold: 0.25,
    comparison: '<=',
    sentence: (t, cmp) => `A's CPU per delivered tick ${cmp} ${t} x B and C`,
  },
  {
    id: 'deliveries',
    measures: "A's capacity against C: ticks delivered per second at the sustained rate",
    metrics: ['deliveredPerSec'],
    reads: "A's sustained step / C's sustained step",
    threshold: 4,
    comparison: '>=',
    sentence: (t, cmp) => `A's sustained deliveries ${cmp} ${t} x C's`,
  },
  {
    id: 'floor',
    measures: 'A against the raw-ws floor D, in capacity and in CPU per tick',
    metrics: ['deliveredPerSec', 'cpuMicrosPerTick'],
    reads: 'D/A sustained deliveries; A/D CPU per tick at the highest ladder rate both passed',
    threshold: 2,
    comparison: '<=',
    sentence: (t) => `A within ${t} x of D (sustained deliveries and CPU per tick)`,
  },
  {
    id: 'p99',
    measures: 'tick-to-client latency (receipt minus tick ts) at 2,000 clients',
    metrics: ['p99'],
    reads: "A's p99 ms at half its sustained rate",
    threshold: 50,
    comparison: '<=',
    sentence: (t, cmp) => `p99 ${cmp} ${t} ms at 2,000 clients`,
  },
];

export const GOALS: readonly Goal[] = TABLE.map(({ sentence, ...g }) => ({
  ...g,
  text: sentence(g.threshold, g.comparison),
}));

export function goal(id: GoalId): Goal {
  const g = GOALS.find((x) => x.id === id);
  if (!g) throw new Error(`no goal ${id}`);
  return g;
}

/** `<= 0.25`: a goal's bound, as the medians report labels its figures. */
export function bound(id: GoalId): string {
  const g = goal(id);
  return `${g.comparison} ${g.threshold}`;
}

/**
 * Whether `value` meets the goal, against `threshold x per` (so that a ratio a/b can be judged as
 * a against threshold x b, without the rounding of a division).
 */
export function meets(g: Goal, value: number, per = 1): boolean {
  return g.comparison === '<=' ? value <= g.threshold * per : value >= g.threshold * per;
}

/** A step fails on latency above this; the same limit as the p99 goal. */
export const P99_LIMIT_MS = goal('p99').threshold;
