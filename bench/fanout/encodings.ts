// Tick encodings compared offline, on the simulator's own ticks at the default feed: the bytes
// each client of the 2,000 x 20 scenario would receive per tick, and the encoding CPU per
// delivered tick when each symbol's window is encoded once and joined per socket as FanOut does;
// then the fan-out engine itself (FanOut.flush into sinks that take every frame), JSON against
// compact, in alternating rounds, for a CPU comparison without the server's other work.
// `npx tsx bench/fanout/encodings.ts [--seconds=N] [--clients=N]`. With NOTEPACK=<path to
// notepack.io> (not a dependency: the msgpack coder of socket.io-msgpack-parser) it also sizes
// Socket.IO's msgpack packets. Bytes are the WebSocket payload, as bench:fanout counts them.
import { createRequire } from 'node:module';
import { DEFAULTS } from '../../src/config/defaults';
import type { Tick } from '../../src/contracts';
import { CATALOG, symbolTickRate } from '../../src/instruments/catalog';
import { PriceModel, type SymbolState } from '../../src/market-data/simulator/price-model';
import {
  compactEntry,
  compactHead,
  compactPrecision,
} from '../../src/streaming/compact-ticks.encoder';
import { FanOut, type ClientSink } from '../../src/streaming/fan-out';
import { SOCKET_IO_WIRE } from '../../src/streaming/socket-io.wire';
import { harnessFlags } from '../lib/args';
import { fmt, table } from '../lib/report';
import { scenarios, symbolSets } from './scenarios';

const flags = harnessFlags('encodings', {
  seconds: 'number',
  clients: 'number',
  rounds: 'number',
});
const SECONDS = flags.seconds ?? 20;
const WINDOW_MS = DEFAULTS.batchMs;
const START = Date.UTC(2026, 11, 3, 14, 0, 0);

/** The feed's ticks over SECONDS, in time order, as the simulator makes them. */
function feed(): Tick[] {
  const out: Tick[] = [];
  for (const entry of CATALOG) {
    const model = new PriceModel(DEFAULTS.seed, entry, {
      ticksPerSecond: symbolTickRate(entry, DEFAULTS.tickRate),
    });
    const state: SymbolState = {
      symbol: entry.symbol,
      seq: 0,
      mid: entry.sim.startPrice,
      ts: START,
      volume: 0,
    };
    let ts = START;
    while (ts < START + SECONDS * 1000) {
      ts += model.gapAfter(state.seq);
      out.push(model.next(state, ts));
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/** A symbol's window, encoded once: JSON text, or values for a binary coder. */
type Part = string | unknown[];

interface Option {
  name: string;
  /** One symbol's part for one window (encoded once), given the tick before the window. */
  part(symbol: string, ticks: Tick[], prev: Tick | undefined): Part;
  /** A socket's frame from its parts: the packet as sent. */
  frame(parts: Part[]): string | Uint8Array;
}

const precision = new Map(CATALOG.map((e) => [e.symbol, compactPrecision(e.pricePrecision)]));
const heads = new Map(CATALOG.map((e) => [e.symbol, compactHead(e.symbol)]));
const join = (prefix: string, parts: Part[]) => {
  let out = prefix;
  for (let i = 0; i < parts.length; i++) out += i ? `,${parts[i] as string}` : (parts[i] as string);
  return `${out}]]`;
};

const OPTIONS: Option[] = [
  {
    name: 'JSON objects (`ticks`, today)',
    part: (_s, ticks) => ticks.map((t) => JSON.stringify(t)).join(','),
    frame: (parts) => join('42["ticks",[', parts),
  },
  {
    name: 'positional arrays, every tick in full',
    part: (s, ticks) => compactEntry(heads.get(s)!, ticks, 0, ticks.length, undefined, 8),
    frame: (parts) => join('42["t",[', parts),
  },
  {
    name: "keyframe + deltas (`t`, encoding 'compact')",
    part: (s, ticks, prev) =>
      compactEntry(heads.get(s)!, ticks, 0, ticks.length, prev, precision.get(s)!),
    frame: (parts) => join('42["t",[', parts),
  },
];

if (process.env.NOTEPACK) {
  const { encode } = createRequire(__filename)(process.env.NOTEPACK) as {
    encode(v: unknown): Uint8Array;
  };
  // socket.io-msgpack-parser encodes the whole packet object; a per-socket encode, since a
  // binary packet of several symbols' parts cannot be joined as text.
  const packet = (data: unknown) => encode({ type: 2, data, nsp: '/' });
  const perSocket = (event: string, parts: Part[]) =>
    packet([event, (parts as unknown[][]).flat()]);
  OPTIONS.push(
    {
      name: 'msgpack parser, tick objects (per socket)',
      part: (_s, ticks) => ticks,
      frame: (parts) => perSocket('ticks', parts),
    },
    {
      name: 'msgpack parser, keyframe + deltas (per socket)',
      part: (s, ticks, prev) => [
        JSON.parse(compactEntry(heads.get(s)!, ticks, 0, ticks.length, prev, precision.get(s)!)),
      ],
      frame: (parts) => perSocket('t', parts),
    },
  );
}

/** A socket that takes every frame at once and counts its bytes. */
class CountingSink implements ClientSink {
  bytes = 0;
  write(packet: string): void {
    this.bytes += packet.length;
  }
  writeFrame(frame: string): boolean {
    this.bytes += frame.length;
    return true;
  }
  bufferedBytes(): number {
    return 0;
  }
  notice(): void {}
  disconnect(): void {}
}

/**
 * CPU of FanOut (onTick and flush per 25 ms window, frames built and shared as in the server) per
 * delivered tick, for every client subscribed in one encoding; the first window of each run (the
 * keyframes) included.
 */
function engineMicros(
  ticks: Tick[],
  sets: string[][],
  encoding: 'json' | 'compact',
): { us: number; bytesPerTick: number } {
  const sut = new FanOut({
    slowClientBytes: 1 << 30,
    degradedGrowthBytes: 1 << 30,
    maxClientBytes: 1 << 30,
    degradedThrottleMs: 250,
    wire: SOCKET_IO_WIRE,
    pricePrecision: (symbol) => CATALOG.find((e) => e.symbol === symbol)?.pricePrecision ?? NaN,
  });
  const sinks = sets.map((set) => {
    const sink = new CountingSink();
    const client = sut.addClient(sink);
    for (const s of set) sut.subscribeTicks(client, s, 'full', 1, undefined, undefined, encoding);
    return sink;
  });
  const followers = new Map<string, number>();
  for (const set of sets) for (const s of set) followers.set(s, (followers.get(s) ?? 0) + 1);
  let delivered = 0;
  const t0 = process.hrtime.bigint();
  let end = START + WINDOW_MS;
  for (const t of ticks) {
    while (t.ts >= end) {
      sut.flush(end);
      end += WINDOW_MS;
    }
    sut.onTick(t);
    delivered += followers.get(t.symbol) ?? 0;
  }
  sut.flush(end);
  const us = Number(process.hrtime.bigint() - t0) / 1000;
  const bytes = sinks.reduce((sum, s) => sum + s.bytes, 0);
  return { us: us / delivered, bytesPerTick: bytes / delivered };
}

function main(): void {
  const base = scenarios(false).find((s) => s.id === 'full-2k')!;
  const sets = symbolSets({ ...base, clients: flags.clients ?? base.clients });
  const ticks = feed();
  // Windows of WINDOW_MS: each symbol's ticks in the window.
  const windows: Array<Map<string, Tick[]>> = [];
  let current = new Map<string, Tick[]>();
  let end = START + WINDOW_MS;
  for (const t of ticks) {
    while (t.ts >= end) {
      windows.push(current);
      current = new Map();
      end += WINDOW_MS;
    }
    const list = current.get(t.symbol);
    if (list) list.push(t);
    else current.set(t.symbol, [t]);
  }
  windows.push(current);
  const rows: string[][] = [];
  for (const option of OPTIONS) {
    let bytes = 0;
    let delivered = 0;
    const prev = new Map<string, Tick>();
    const t0 = process.hrtime.bigint();
    for (const w of windows) {
      const parts = new Map<string, Part>();
      for (const [symbol, list] of w) {
        parts.set(symbol, option.part(symbol, list, prev.get(symbol)));
        prev.set(symbol, list[list.length - 1]);
      }
      const shared = new Map<Part, number>();
      for (const set of sets) {
        const mine: Part[] = [];
        for (const s of set) {
          const p = parts.get(s);
          if (p === undefined) continue;
          mine.push(p);
          delivered += w.get(s)!.length;
        }
        if (!mine.length) continue;
        // One part alone: its frame is built once and shared, as FanOut does.
        let size = mine.length === 1 ? shared.get(mine[0]) : undefined;
        if (size === undefined) {
          size = option.frame(mine).length;
          if (mine.length === 1) shared.set(mine[0], size);
        }
        bytes += size;
      }
    }
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    rows.push([option.name, fmt(bytes / delivered, 1), fmt(us / delivered, 3)]);
  }
  process.stdout.write(
    `${fmt(ticks.length)} simulator ticks (TICK_RATE ${DEFAULTS.tickRate}, ${SECONDS} s) in ${WINDOW_MS} ms windows, ${fmt(sets.length)} clients x ${base.symbolsPerClient} symbols\n\n`,
  );
  process.stdout.write(
    `${table(['encoding', 'bytes/tick', 'encode us per delivered tick (offline)'], rows)}\n`,
  );

  // The engine, alternating encodings so that drift in the machine's load hits both alike.
  const rounds = flags.rounds ?? 5;
  const runs: Record<'json' | 'compact', number[]> = { json: [], compact: [] };
  const frameBytes: Record<'json' | 'compact', number> = { json: 0, compact: 0 };
  engineMicros(ticks, sets, 'json'); // warm-up
  engineMicros(ticks, sets, 'compact');
  for (let r = 0; r < rounds; r++) {
    for (const e of ['json', 'compact'] as const) {
      const m = engineMicros(ticks, sets, e);
      runs[e].push(m.us);
      frameBytes[e] = m.bytesPerTick;
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mj = median(runs.json);
  const mc = median(runs.compact);
  process.stdout.write(
    `\nFanOut in process, ${rounds} alternating rounds each, median (all rounds):\n\n${table(
      ['encoding', 'us per delivered tick', 'rounds', 'WebSocket frame bytes/tick'],
      (['json', 'compact'] as const).map((e) => [
        e,
        fmt(e === 'json' ? mj : mc, 3),
        runs[e].map((x) => fmt(x, 3)).join(', '),
        fmt(frameBytes[e], 1),
      ]),
    )}\ncompact / json: ${fmt((100 * mc) / mj)} %\n`,
  );
}

main();
