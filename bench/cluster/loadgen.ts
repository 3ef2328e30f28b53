// The cluster load generator: bench:fanout's clients (lib/stream-client), spread round-robin over
// several nodes, with one tally per node (p99 per node), and for the failover step the gap each
// client sees and a reconnect-with-resume for the clients of the killed node.
import {
  inPool,
  StreamClient,
  SYMBOL_LIST,
  Tally,
  type SubscribeRequest,
} from '../lib/stream-client';

export type ClusterLoadCommand =
  | {
      cmd: 'connect';
      urls: string[];
      sets: string[][];
      concurrency: number;
      /** Through a balancer: one tally per node id, each client's node read from its subscribe ack. */
      nodeIds?: string[];
    }
  | { cmd: 'subscribe'; concurrency: number }
  | { cmd: 'window-start' }
  | { cmd: 'window-end' }
  | { cmd: 'failover-arm'; checkReuse: boolean }
  | { cmd: 'reconnect'; dead: number; urls: string[]; concurrency: number; waitMs: number }
  | { cmd: 'failover-report'; killedAt: number }
  | { cmd: 'exit' };

export interface NodeWindow {
  clients: number;
  ticks: number;
  frames: number;
  lost: number;
  duplicates: number;
  expected: number;
  disconnected: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface ClusterWindow {
  nodes: NodeWindow[];
  /** Clients of a killed node, reconnected elsewhere with resume (failover step only). */
  reconnected?: NodeWindow;
  formatErrors: number;
  notices: number;
  totalLost: number;
  totalDuplicates: number;
  produced: number;
  /** Highest seq any client saw, per symbol. */
  maxSeq: Record<string, number>;
}

export interface GapStats {
  clients: number;
  /** Clients that got no tick after the kill. */
  silent: number;
  /** Per client: the longest time between two tick receipts, armed to report (ms). */
  p50: number;
  p99: number;
  max: number;
  /** Of the client with the longest gap: tick ts after minus tick ts before (the feed's own gap). */
  tsGapOfMax: number;
  /** When the last tick before the gap (max client) arrived and the first after, relative to the kill. */
  beforeMs: number;
  afterMs: number;
}

export interface FailoverReport {
  survivors: GapStats;
  reconnected?: GapStats & {
    failedToReconnect: number;
    reconnectMs: number;
    unresumable: number;
    firstError?: string;
  };
  /** (symbol, seq) pairs delivered with two different ts: a seq reused for another tick. */
  reusedSeqs: number;
  checkedPairs: number;
}

export type ClusterLoadEvent =
  | { ev: 'ready' }
  | { ev: 'connected'; ms: number; failed: number; firstError?: string }
  | { ev: 'subscribed'; ms: number; failed: number; firstError?: string }
  | { ev: 'window-started' }
  | { ev: 'window'; stats: ClusterWindow }
  | { ev: 'armed' }
  | { ev: 'reconnected' }
  | { ev: 'failover'; report: FailoverReport }
  | { ev: 'error'; message: string };

let tallies: Tally[] = [];
let reTally: Tally | undefined;
let clients: StreamClient[] = [];
let nodeOf: number[] = [];
let sets: string[][] = [];
let reconnected = new Set<number>();
let reconnectInfo: Omit<NonNullable<FailoverReport['reconnected']>, keyof GapStats> | undefined;
const global = new Tally();
let seqAtStart = new Float64Array(SYMBOL_LIST.length);
let nodeIds: string[] | undefined;

// Failover tracking, per client index.
let lastRecv = new Float64Array(0);
let lastTs = new Float64Array(0);
let gap = new Float64Array(0);
let gapFrom = new Float64Array(0);
let gapTo = new Float64Array(0);
let gapTs = new Float64Array(0);
let armed = false;
let tsBySeq: Map<number, number>[] | undefined;
let reused = 0;
let checked = 0;

function send(e: ClusterLoadEvent): void {
  process.send?.(e);
}

function hook(c: StreamClient, i: number): void {
  c.onTick = (sym, seq, ts, at) => {
    if (seq > global.maxSeq[sym]) global.maxSeq[sym] = seq;
    if (!armed) return;
    const prev = lastRecv[i];
    if (prev > 0 && at - prev > gap[i]) {
      gap[i] = at - prev;
      gapFrom[i] = prev;
      gapTo[i] = at;
      gapTs[i] = ts - lastTs[i];
    }
    lastRecv[i] = at;
    lastTs[i] = ts;
    if (tsBySeq) {
      checked++;
      const known = tsBySeq[sym].get(seq);
      if (known === undefined) tsBySeq[sym].set(seq, ts);
      else if (known !== ts) reused++;
    }
  };
}

function windowOf(t: Tally, members: number[]): NodeWindow {
  const h = t.latency;
  let expected = 0;
  for (const i of members)
    for (const s of sets[i]) {
      const k = SYMBOL_LIST.indexOf(s);
      if (seqAtStart[k] > 0) expected += global.maxSeq[k] - seqAtStart[k];
    }
  return {
    clients: members.length,
    ticks: t.ticks,
    frames: t.frames,
    lost: t.lost,
    duplicates: t.duplicates,
    expected,
    disconnected: members.filter((i) => clients[i].closedUnexpectedly).length,
    p50: h.getValueAtPercentile(50),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
  };
}

function gapStats(members: number[], killedAt: number): GapStats {
  const silent = members.filter((i) => lastRecv[i] <= killedAt).length;
  const gaps = members.map((i) => gap[i]).sort((a, b) => a - b);
  const pick = (q: number): number =>
    gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))] : NaN;
  let worst = members[0];
  for (const i of members) if (gap[i] > gap[worst]) worst = i;
  return {
    clients: members.length,
    silent,
    p50: pick(0.5),
    p99: pick(0.99),
    max: gaps.length ? gaps[gaps.length - 1] : NaN,
    tsGapOfMax: worst === undefined ? NaN : gapTs[worst],
    beforeMs: worst === undefined ? NaN : gapFrom[worst] - killedAt,
    afterMs: worst === undefined ? NaN : gapTo[worst] - killedAt,
  };
}

async function handle(msg: ClusterLoadCommand): Promise<void> {
  switch (msg.cmd) {
    case 'connect': {
      const t0 = Date.now();
      nodeIds = msg.nodeIds;
      tallies = (nodeIds ?? msg.urls).map(() => new Tally());
      let failed = 0;
      let firstError: string | undefined;
      const opened = await inPool(msg.sets.length, msg.concurrency, async (i) => {
        const node = i % msg.urls.length;
        const c = new StreamClient(msg.urls[node], 'socketio', tallies[node], true);
        try {
          await c.connect();
          return { c, node, set: msg.sets[i] };
        } catch (err) {
          failed++;
          firstError ??= String(err);
          return undefined;
        }
      });
      const ok = opened.filter((x) => x !== undefined);
      clients = ok.map((x) => x.c);
      nodeOf = ok.map((x) => x.node);
      sets = ok.map((x) => x.set);
      const n = clients.length;
      lastRecv = new Float64Array(n);
      lastTs = new Float64Array(n);
      gap = new Float64Array(n);
      gapFrom = new Float64Array(n);
      gapTo = new Float64Array(n);
      gapTs = new Float64Array(n);
      clients.forEach(hook);
      return send({ ev: 'connected', ms: Date.now() - t0, failed, firstError });
    }
    case 'subscribe': {
      const t0 = Date.now();
      let failed = 0;
      let firstError: string | undefined;
      await inPool(clients.length, msg.concurrency, async (i) => {
        try {
          const ack = (await clients[i].subscribe({ symbols: sets[i] })) as { node?: string };
          if (nodeIds) {
            // Through a balancer: count this client with the node that serves it.
            const node = nodeIds.indexOf(ack?.node ?? '');
            if (node < 0) throw new Error(`subscribe ack names no known node: ${ack?.node}`);
            (clients[i] as unknown as { tally: Tally }).tally = tallies[node];
            nodeOf[i] = node;
          }
        } catch (err) {
          failed++;
          firstError ??= String(err);
        }
      });
      return send({ ev: 'subscribed', ms: Date.now() - t0, failed, firstError });
    }
    case 'window-start':
      for (const t of tallies) t.resetWindow();
      reTally?.resetWindow();
      seqAtStart = Float64Array.from(global.maxSeq);
      return send({ ev: 'window-started' });
    case 'window-end': {
      const members = (node: number): number[] =>
        clients.map((_, i) => i).filter((i) => nodeOf[i] === node && !reconnected.has(i));
      const all = [...tallies, ...(reTally ? [reTally] : [])];
      let produced = 0;
      SYMBOL_LIST.forEach((_, k) => {
        if (seqAtStart[k] > 0) produced += global.maxSeq[k] - seqAtStart[k];
      });
      return send({
        ev: 'window',
        stats: {
          nodes: tallies.map((t, node) => windowOf(t, members(node))),
          reconnected: reTally ? windowOf(reTally, [...reconnected]) : undefined,
          formatErrors: all.reduce((s, t) => s + t.formatErrors, 0),
          notices: all.reduce((s, t) => s + t.notices, 0),
          totalLost: all.reduce((s, t) => s + t.totalLost, 0),
          totalDuplicates: all.reduce((s, t) => s + t.totalDuplicates, 0),
          produced,
          maxSeq: Object.fromEntries(
            SYMBOL_LIST.map((s, k) => [s, global.maxSeq[k]]).filter(([, v]) => Number(v) > 0),
          ),
        },
      });
    }
    case 'failover-arm':
      armed = true;
      gap.fill(0);
      lastRecv.fill(0);
      tsBySeq = msg.checkReuse ? SYMBOL_LIST.map(() => new Map<number, number>()) : undefined;
      return send({ ev: 'armed' });
    case 'reconnect': {
      // Wait until the dead node's clients see their connections close, as a browser would.
      const victims = clients.map((_, i) => i).filter((i) => nodeOf[i] === msg.dead);
      const until = Date.now() + msg.waitMs;
      while (Date.now() < until && victims.some((i) => !clients[i].closedUnexpectedly))
        await new Promise((r) => setTimeout(r, 20));
      const t0 = Date.now();
      reTally = new Tally();
      let failed = 0;
      let unresumable = 0;
      let firstError: string | undefined;
      await inPool(victims.length, msg.concurrency, async (k) => {
        const i = victims[k];
        const old = clients[i];
        old.close();
        const c = new StreamClient(msg.urls[k % msg.urls.length], 'socketio', reTally!, true);
        c.lastSeq.set(old.lastSeq);
        const resume: Record<string, number> = {};
        for (const s of sets[i]) {
          const seq = old.lastSeq[SYMBOL_LIST.indexOf(s)];
          if (seq > 0) resume[s] = seq;
        }
        hook(c, i);
        clients[i] = c;
        reconnected.add(i);
        try {
          await c.connect();
          const ack = (await c.subscribe({ symbols: sets[i], resume } as SubscribeRequest)) as {
            unresumable?: string[];
          };
          unresumable += ack?.unresumable?.length ?? 0;
        } catch (err) {
          failed++;
          firstError ??= String(err);
        }
      });
      reconnectInfo = {
        failedToReconnect: failed,
        reconnectMs: Date.now() - t0,
        unresumable,
        firstError,
      };
      return send({ ev: 'reconnected' });
    }
    case 'failover-report': {
      const survivors = clients.map((_, i) => i).filter((i) => !reconnected.has(i));
      return send({
        ev: 'failover',
        report: {
          survivors: gapStats(survivors, msg.killedAt),
          reconnected:
            reconnected.size && reconnectInfo
              ? { ...gapStats([...reconnected], msg.killedAt), ...reconnectInfo }
              : undefined,
          reusedSeqs: reused,
          checkedPairs: checked,
        },
      });
    }
    case 'exit':
      for (const c of clients) c.close();
      process.exit(0);
  }
}

process.on('message', (msg: ClusterLoadCommand) => {
  handle(msg).catch((err: unknown) => send({ ev: 'error', message: String(err) }));
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
reconnected = new Set();
send({ ev: 'ready' });
