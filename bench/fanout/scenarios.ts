// The fan-out scenarios: who subscribes to what, and the ladder of offered rates for each.
import { Rng } from '../../src/common/rng';
import { DEFAULTS } from '../../src/config/defaults';
import type { ServerKind } from '../lib/server';
import { SYMBOL_LIST } from '../lib/stream-client';

export interface Scenario {
  id: string;
  title: string;
  clients: number;
  /** Symbols per client, drawn per client from the catalog with a fixed seed; or one hot symbol. */
  symbolsPerClient: number;
  hotSymbol?: string;
  mode: 'full' | 'conflated';
  throttleMs?: number;
  servers: ServerKind[];
  /** Offered TICK_RATE steps: base, base*2, ... until a step fails. */
  baseRate: number;
  maxSteps: number;
  /** After the doubling ladder fails, try the geometric midpoint once. */
  bisect: boolean;
  /** Measure heap and RSS per connection before subscribing. */
  idleMemory: boolean;
  /**
   * Also run every server once at each of these offered rates, pass or fail, to compare CPU per
   * delivered tick on the same ticks. The first is the rate the product ships with (its default
   * TICK_RATE), where the goal is judged; the others only show how the ratios move with the
   * density of the feed.
   */
  sameLoadRates?: number[];
}

export const ALL_SERVERS: ServerKind[] = [
  'tickerboard',
  'nest-per-tick',
  'socketio-per-tick',
  'ws-batched',
];

export function scenarios(quick: boolean): Scenario[] {
  if (quick) {
    return [
      {
        id: 'quick-full',
        title: '50 clients x 20 symbols, full (smoke)',
        clients: 50,
        symbolsPerClient: 20,
        mode: 'full',
        servers: ALL_SERVERS,
        baseRate: 200,
        maxSteps: 2,
        bisect: false,
        idleMemory: true,
      },
      {
        id: 'quick-conflated',
        title: '50 clients x 20 symbols, conflated 250 ms (smoke)',
        clients: 50,
        symbolsPerClient: 20,
        mode: 'conflated',
        throttleMs: 250,
        servers: ['tickerboard', 'ws-batched'],
        baseRate: 400,
        maxSteps: 1,
        bisect: false,
        idleMemory: false,
      },
    ];
  }
  return [
    {
      id: 'full-2k',
      title: '2,000 clients x 20 symbols, full mode',
      clients: 2000,
      symbolsPerClient: 20,
      mode: 'full',
      servers: ALL_SERVERS,
      // Every server keeps up at 50 and below; the ladder starts there to leave time for the rest.
      baseRate: 50,
      maxSteps: 7,
      bisect: true,
      idleMemory: false,
      // The default feed (300), about 1.5 ticks per client per 25 ms window. 1600: the top step the
      // load generator can check (about 8 per window), where batching has something to batch.
      sameLoadRates: [DEFAULTS.tickRate, 1600],
    },
    {
      id: 'wide-10k',
      title: '10,000 clients x 5 symbols, full mode',
      clients: 10_000,
      symbolsPerClient: 5,
      mode: 'full',
      servers: ALL_SERVERS,
      baseRate: 50,
      maxSteps: 3,
      bisect: false,
      idleMemory: true,
    },
    {
      id: 'hot-5k',
      title: 'one hot room: 5,000 clients x AAPL, full mode',
      clients: 5000,
      symbolsPerClient: 1,
      hotSymbol: 'AAPL',
      mode: 'full',
      servers: ALL_SERVERS,
      baseRate: 500,
      maxSteps: 4,
      bisect: false,
      idleMemory: false,
    },
    {
      id: 'conflated-2k',
      title: '2,000 clients x 20 symbols, conflated at 250 ms',
      clients: 2000,
      symbolsPerClient: 20,
      mode: 'conflated',
      throttleMs: 250,
      // The per-tick baselines have no conflation to offer.
      servers: ['tickerboard', 'ws-batched'],
      baseRate: 2000,
      maxSteps: 1,
      bisect: false,
      idleMemory: false,
    },
  ];
}

/** Each client's symbols: a seeded draw without replacement, so every server sees the same sets. */
export function symbolSets(s: Scenario, seed = 7): string[][] {
  if (s.hotSymbol) return Array.from({ length: s.clients }, () => [s.hotSymbol as string]);
  const rng = new Rng(seed);
  return Array.from({ length: s.clients }, () => {
    const pool = [...SYMBOL_LIST];
    for (let i = 0; i < s.symbolsPerClient; i++) {
      const j = i + Math.floor(rng.next() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, s.symbolsPerClient);
  });
}
