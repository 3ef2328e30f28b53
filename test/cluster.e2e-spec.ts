// The cluster failover scenario (issue #12): a private nats-server, a fresh PostgreSQL database
// and three FEED=auto nodes (the server compiled into a private directory, one process group
// and log file each), recording clients on every node; then kill -9 a follower, freeze the leader past the lease TTL and thaw it, kill -9 the
// new leader, and restart nats-server on the same port and store. Each failover's gap (no tick
// at a client) is measured and bounded; at the end every client's seqs must be contiguous across
// reconnects (or the gap declared `unresumable`), no (symbol, seq) may carry two contents across
// clients, REST and the store, and prices must continue across every failover.
// Needs nats-server and PostgreSQL; without them it is skipped with the reason, except under CI.
import {
  Cluster,
  clusterPrerequisitesMissing,
  content,
  contiguityViolations,
  gapAfter,
  Recorder,
  sleep,
  until,
  type ClusterNode,
  type Target,
} from './support/cluster';
import type { Tick } from '../src/contracts';

/** The busiest instruments (liquidity 10): about 7 ticks/s each at TICK_RATE 300. */
const SYMBOLS = ['AAPL', 'NVDA', 'TSLA', 'EURUSD', 'BTCUSD'];
const NODES = ['node-1', 'node-2', 'node-3'];
const RECORDERS_PER_NODE = 2;
const TTL_MS = 5_000;
/** A failover must be over, as seen by a client, within the lease TTL plus 5 s. */
const FAILOVER_BOUND_MS = TTL_MS + 5_000;
/** Longer than the bound, so a takeover within the bound happens while the leader is frozen. */
const FREEZE_MS = FAILOVER_BOUND_MS + 500;
const NATS_DOWN_MS = 3_000;
/** The first tick after a failover is within 1 % of the last one before it. */
const PRICE_BOUND = 0.01;

const missing = clusterPrerequisitesMissing();
if (missing && !process.env.CI) {
  console.warn(`Skipping the cluster failover spec: ${missing}. With CI set it runs and fails.`);
}
const run = missing && !process.env.CI ? describe.skip : describe;

interface GapRow {
  step: string;
  role: string;
  recorders: string[];
  gapMs: Array<number | undefined>;
  /** First tick stamped after the fault minus the fault time (the server's takeover). */
  takeoverMs?: number;
  leader: string;
  note?: string;
}

interface Fault {
  step: string;
  at: number;
  /** Whether the feed moved to another node (prices must continue across it). */
  leaderChanged: boolean;
}

run('Cluster failover (e2e, issue #12)', () => {
  let cluster: Cluster;
  let leader: string;
  const recorders: Recorder[] = [];
  const rows: GapRow[] = [];
  const faults: Fault[] = [];
  let failed = false;
  const t0 = Date.now();

  const targets = (): Target[] =>
    cluster.nodes.map((n) => ({ id: n.id, url: n.url, up: !n.gone && n.running && !n.paused }));
  const onNode = (id: string) => recorders.filter((r) => r.current.id === id);
  const rel = (t: number) => `${((t - t0) / 1000).toFixed(1)}s`;

  /** Fails the spec with the recorders' state and the processes' logs. */
  function explain(err: unknown): Error {
    failed = true;
    const state = recorders
      .map(
        (r) =>
          `${r.name} on ${r.current.id} subscribed=${r.subscribed} last frame ${rel(r.lastFrameAt)} ` +
          `last seqs ${JSON.stringify(Object.fromEntries(r.lastSeq))}`,
      )
      .join('\n');
    const exits = cluster.unexpectedExits().join('\n');
    return new Error(`${(err as Error).message}\n${exits}\n${state}\n${cluster.logs(30)}`, {
      cause: err,
    });
  }

  async function step<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      const exits = cluster.unexpectedExits();
      if (exits.length) throw new Error(exits.join('; '));
      return result;
    } catch (err) {
      throw explain(err);
    }
  }

  /** Waits until each of `recs` is subscribed and has a tick of every symbol stamped after `after`. */
  function flowing(recs: Recorder[], after: number, ms: number, what: string): Promise<true> {
    return until(
      () =>
        recs.every(
          (r) =>
            r.subscribed && SYMBOLS.every((s) => (r.ticks.get(s)!.at(-1)?.tick.ts ?? 0) > after),
        ) || undefined,
      ms,
      `ticks to flow again at every client after ${what}`,
    );
  }

  /** First tick stamped after `at` that any recorder got, minus `at`. */
  function takeover(at: number): number | undefined {
    const first = Math.min(
      ...recorders.flatMap((r) =>
        [...r.ticks.values()].flatMap((l) => l.filter((x) => x.tick.ts > at).map((x) => x.tick.ts)),
      ),
    );
    return Number.isFinite(first) ? first - at : undefined;
  }

  function gaps(step: string, role: string, recs: Recorder[], at: number, extra: Partial<GapRow>) {
    const row: GapRow = {
      step,
      role,
      recorders: recs.map((r) => r.name),
      gapMs: recs.map((r) => gapAfter(r, at)?.gapMs),
      leader,
      ...extra,
    };
    rows.push(row);
    return row;
  }

  const worst = (row: GapRow) => Math.max(...row.gapMs.map((g) => g ?? Infinity));

  let started = false;
  /** Later tests fail in one line when the cluster never started (the first test says why). */
  function needCluster(): void {
    if (!started) throw new Error('The cluster did not start: see the first test');
  }

  it('starts nats-server, a fresh database, three nodes and two recording clients on each', async () => {
    cluster = await Cluster.start({
      nodes: NODES,
      // A server built elsewhere (e.g. another checkout) instead of compiling this one's src/.
      mainJs: process.env.TICKERBOARD_MAIN_JS || undefined,
      env: { FEED: 'auto', TICK_RATE: '300', SEED: '12', LOG_LEVEL: 'log' },
    });
    await step(async () => {
      leader = await cluster.agreedLeader(20_000);
      for (const node of cluster.nodes) {
        for (let i = 0; i < RECORDERS_PER_NODE; i++) {
          const name = `${node.id}/c${i + 1}`;
          recorders.push(new Recorder(name, SYMBOLS, targets, { id: node.id, url: node.url }, i));
        }
      }
      await Promise.all(recorders.map((r) => r.start()));
      await until(
        () => recorders.every((r) => r.minCount >= 5) || undefined,
        15_000,
        'five ticks of every symbol at every client',
      );
    });
    started = true;
  }, 150_000);

  afterAll(async () => {
    for (const r of recorders) r.close();
    const table = rows.map((r) => ({
      step: r.step,
      clients: `${r.role} (${r.recorders.length})`,
      'max gap ms': r.gapMs.length ? worst(r) : '-',
      'gaps ms': r.gapMs.map((g) => g ?? '-').join(' '),
      'takeover ms': r.takeoverMs ?? '-',
      leader: r.leader,
      note: r.note ?? '',
    }));
    const reconnects = recorders.flatMap((r) =>
      r.connections.slice(1).map((c) => ({
        client: r.name,
        at: rel(c.connectedAt),
        to: c.node,
        'ack names': c.servedBy ?? '-',
        'ack ms': c.ackMs ?? '-',
        unresumable: c.unresumable.join(',') || '-',
        error: c.error ?? '',
      })),
    );
    // Every client of a node gets the same notice at once: one row per notice and node.
    const notices = new Map<
      string,
      { at: string; node: string; clients: number; notice: string }
    >();
    for (const r of recorders) {
      for (const n of r.notices) {
        const row = { at: rel(n.at), node: n.node, clients: 0, notice: JSON.stringify(n.notice) };
        const key = `${row.at} ${row.node} ${row.notice}`;
        const seen = notices.get(key) ?? row;
        seen.clients++;
        notices.set(key, seen);
      }
    }
    console.log(
      `Cluster failover gaps (bound ${FAILOVER_BOUND_MS} ms; nats-server down ${NATS_DOWN_MS} ms):\n` +
        formatTable(table) +
        `\nReconnects:\n${formatTable(reconnects)}\nNotices:\n${formatTable([...notices.values()])}`,
    );
    if (cluster) {
      cluster.keepLogs = failed;
      await cluster.close();
    }
  }, 30_000);

  it('kill -9 of a follower: its clients resume on another node, the leader keeps the feed', async () => {
    needCluster();
    await step(async () => {
      const victim = cluster.nodes.find((n) => n.id !== leader)!;
      const moved = onNode(victim.id);
      const others = recorders.filter((r) => !moved.includes(r));
      const killed = victim.kill(); // the signal goes out at once
      const at = Date.now();
      await killed;
      await flowing(recorders, at, 20_000, `killing ${victim.id}`);
      const before = leader;
      leader = await cluster.agreedLeader(5_000);
      faults.push({ step: 'kill follower', at, leaderChanged: leader !== before });
      const label = `kill -9 follower ${victim.id}`;
      const rowMoved = gaps(label, 'reconnected', moved, at, { note: `leader ${before}` });
      gaps(label, 'unaffected', others, at, {});
      for (const r of moved) expect(r.current.id).not.toBe(victim.id);
      expect(leader).toBe(before);
      expect(worst(rowMoved)).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
    });
  }, 40_000);

  it(
    'SIGSTOP of the leader past the TTL: another node takes over; thawed, the old leader is fenced',
    async () => {
      needCluster();
      await step(async () => {
        const frozen = cluster.node(leader);
        const stuck = onNode(frozen.id);
        const others = recorders.filter((r) => !stuck.includes(r));
        expect(others.length).toBeGreaterThan(0);
        frozen.pause();
        const at = Date.now();
        const failover = flowing(others, at, FREEZE_MS + 10_000, `freezing ${frozen.id}`).then(
          () => undefined,
          (err: Error) => err,
        );
        await sleep(FREEZE_MS);
        const thawedAt = Date.now();
        frozen.resume();
        // A client that was on another node comes to the thawed node, which is behind the
        // stream: it should be answered once the node has caught up, without a gap.
        const late = new Recorder(`${frozen.id}/late`, SYMBOLS, targets, {
          id: frozen.id,
          url: frozen.url,
        });
        late.seed(others[0].lastSeq);
        recorders.push(late);
        const failoverError = await failover;
        await late.start(20_000);
        await flowing(recorders, thawedAt, 20_000, `thawing ${frozen.id}`);
        await frozen.waitReady(10_000);
        const takeoverMs = takeover(at);
        const newLeader = await cluster.agreedLeader(10_000, (id) => id !== frozen.id);
        leader = newLeader;
        faults.push({ step: 'freeze leader', at, leaderChanged: true });
        const label = `SIGSTOP leader ${frozen.id} ${FREEZE_MS} ms`;
        const row = gaps(label, 'failover', others, at, { takeoverMs });
        gaps(label, 'on frozen node', stuck, at, { note: 'includes the freeze; not bounded' });
        const joined = late.connections[0];
        rows.push({
          step: label,
          role: 'resumes on thawed node',
          recorders: [late.name],
          gapMs: [],
          leader,
          note: `ack after ${joined.ackMs} ms; unresumable: ${joined.unresumable.join(',') || 'none'}`,
        });
        if (failoverError) throw failoverError;
        expect(worst(row)).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
        expect(takeoverMs).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
        // The thawed node stays a follower: every node, itself included, names the new leader.
        // (That nothing it published got in is checked on the contents at the end.)
        await sleep(2_000);
        const views = await cluster.views();
        for (const [id, view] of Object.entries(views)) {
          if (typeof view === 'string') throw new Error(`${id}: ${view}`);
          expect({ id, leader: view.leader }).toEqual({ id, leader: newLeader });
        }
      });
    },
    FREEZE_MS + 60_000,
  );

  it(
    'kill -9 of the new leader: the remaining node takes over',
    async () => {
      needCluster();
      await step(async () => {
        const victim = cluster.node(leader);
        const moved = onNode(victim.id);
        const others = recorders.filter((r) => !moved.includes(r));
        const killed = victim.kill(); // the signal goes out at once
        const at = Date.now();
        await killed;
        await flowing(recorders, at, FAILOVER_BOUND_MS + 15_000, `killing leader ${victim.id}`);
        const takeoverMs = takeover(at);
        leader = await cluster.agreedLeader(10_000, (id) => id !== victim.id);
        faults.push({ step: 'kill leader', at, leaderChanged: true });
        const label = `kill -9 leader ${victim.id}`;
        const rowMoved = gaps(label, 'reconnected', moved, at, { takeoverMs });
        const rowOthers = gaps(label, 'failover', others, at, { takeoverMs });
        expect(worst(rowMoved)).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
        expect(worst(rowOthers)).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
        expect(takeoverMs).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
      });
    },
    FAILOVER_BOUND_MS + 40_000,
  );

  it(
    'restart of nats-server on the same port and store: the stream stalls, clients are told, nothing is lost',
    async () => {
      needCluster();
      await step(async () => {
        const nats = cluster.nats!;
        const at = Date.now();
        await nats.stop('SIGTERM');
        const downAt = Date.now(); // from here nothing reaches a client until the restart
        await sleep(NATS_DOWN_MS);
        const restartedAt = Date.now();
        await nats.start();
        await flowing(recorders, restartedAt, FAILOVER_BOUND_MS + 15_000, 'restarting nats-server');
        const before = leader;
        leader = await cluster.agreedLeader(10_000);
        faults.push({ step: 'nats restart', at, leaderChanged: leader !== before });
        const resumed = recorders.map((r) => r.frames.find((f) => f.at > restartedAt)?.at);
        const row = gaps(
          `restart nats-server (down ${NATS_DOWN_MS} ms)`,
          'all',
          recorders,
          downAt,
          {
            takeoverMs: takeover(restartedAt),
            note: `first tick after restart: ${resumed.map((t) => (t ? t - restartedAt : '-')).join(' ')} ms`,
          },
        );
        // Measured from the restart, the stall is a failover like the others.
        for (const t of resumed) expect(t! - restartedAt).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
        expect(worst(row)).toBeLessThanOrEqual(NATS_DOWN_MS + FAILOVER_BOUND_MS);
        await sleep(1_500); // a little more recorded after the last fault
        // Every client was told that the stream stalled, and then that it flows again.
        for (const r of recorders) {
          const told = r.notices.filter((n) => n.at >= at).map((n) => n.notice.type as string);
          const stalled = told.indexOf('stalled');
          expect({ client: r.name, told }).toEqual({
            client: r.name,
            told: expect.arrayContaining(['stalled', 'recovered']),
          });
          expect(told.indexOf('recovered', stalled)).toBeGreaterThan(stalled);
        }
      });
    },
    NATS_DOWN_MS + FAILOVER_BOUND_MS + 60_000,
  );

  it('every client saw contiguous seqs across its reconnects, or an explicit unresumable', () => {
    needCluster();
    for (const r of recorders) r.close(); // recording stops before REST and the store are read
    const violations = recorders.flatMap(contiguityViolations);
    if (violations.length) failed = true;
    expect(violations).toEqual([]);
    for (const r of recorders)
      expect({ client: r.name, some: r.minCount >= 5 }).toEqual({ client: r.name, some: true });
  });

  // What every source says each (symbol, seq) is; filled by the next test, read by the last.
  const merged = new Map<string, Map<number, Tick>>(SYMBOLS.map((s) => [s, new Map()]));

  it('no (symbol, seq) has two contents across clients, REST of every live node and PostgreSQL', async () => {
    needCluster();
    const seen = new Map<string, { content: string; source: string }>();
    const conflicts: string[] = [];
    const add = (source: string, t: Tick) => {
      if (!merged.has(t.symbol)) return;
      const key = `${t.symbol}#${t.seq}`;
      const c = content(t);
      const was = seen.get(key);
      if (!was) {
        seen.set(key, { content: c, source });
        merged.get(t.symbol)!.set(t.seq, t);
      } else if (was.content !== c && conflicts.length < 50) {
        conflicts.push(`${key}: ${was.source} ${was.content} vs ${source} ${c}`);
      }
    };
    for (const r of recorders)
      for (const list of r.ticks.values()) for (const x of list) add(`client ${r.name}`, x.tick);
    const maxSeen = new Map(SYMBOLS.map((s) => [s, Math.max(...merged.get(s)!.keys())]));

    // REST on every live node: the same ticks, 1..n without a hole.
    const rest = new Map<string, ClusterNode>(cluster.live.map((n) => [n.id, n]));
    const holes: string[] = [];
    for (const [id, node] of rest) {
      for (const symbol of SYMBOLS) {
        const quotes = await node.quotes(symbol);
        quotes.forEach((t) => add(`REST ${id}`, t));
        const seqs = quotes.map((t) => t.seq);
        const bad = seqs.findIndex((s, i) => s !== i + 1);
        if (bad >= 0)
          holes.push(`REST ${id} ${symbol}: seq ${seqs[bad - 1] ?? '-'} then ${seqs[bad]}`);
        if (seqs.length < maxSeen.get(symbol)!) {
          holes.push(
            `REST ${id} ${symbol}: ends at ${seqs.at(-1)}, clients saw ${maxSeen.get(symbol)}`,
          );
        }
      }
    }

    // The store, once it has caught up with what the clients saw.
    const db = cluster.db!;
    let stored: Tick[] = [];
    await until(
      async () => {
        stored = await db.ticks(SYMBOLS);
        return (
          SYMBOLS.every((s) => stored.some((t) => t.symbol === s && t.seq >= maxSeen.get(s)!)) ||
          undefined
        );
      },
      10_000,
      'PostgreSQL to hold every tick the clients saw',
      250,
    ).catch((err: Error) => {
      const behind = SYMBOLS.map((s) => {
        const max = Math.max(0, ...stored.filter((t) => t.symbol === s).map((t) => t.seq));
        return `${s} stored to ${max}, seen to ${maxSeen.get(s)}`;
      });
      holes.push(`${err.message}: ${behind.join('; ')}`);
    });
    stored.forEach((t) => add('PostgreSQL', t));
    for (const symbol of SYMBOLS) {
      const seqs = stored.filter((t) => t.symbol === symbol).map((t) => t.seq);
      const bad = seqs.findIndex((s, i) => s !== i + 1);
      if (bad >= 0)
        holes.push(`PostgreSQL ${symbol}: seq ${seqs[bad - 1] ?? '-'} then ${seqs[bad]}`);
    }
    if (conflicts.length || holes.length) failed = true;
    expect(conflicts).toEqual([]);
    expect(holes).toEqual([]);
  }, 60_000);

  it('prices continue across each failover: seq + 1, volume carried on, bid and ask within 1 %', () => {
    needCluster();
    const problems: string[] = [];
    const check = (symbol: string, a: Tick, b: Tick | undefined, where: string) => {
      if (!b) return problems.push(`${where} ${symbol}: no tick after seq ${a.seq}`);
      const moved = Math.max(Math.abs(b.bid / a.bid - 1), Math.abs(b.ask / a.ask - 1));
      const sameDay = Math.floor(a.ts / 86_400_000) === Math.floor(b.ts / 86_400_000);
      const volume = sameDay ? Number((a.volume + b.size).toFixed(8)) : b.size;
      if (moved > PRICE_BOUND || b.volume !== volume || b.ts < a.ts) {
        problems.push(`${where} ${symbol}: ${content(a)} -> ${content(b)}`);
      }
    };
    expect(faults.length).toBeGreaterThan(0);
    for (const fault of faults) {
      for (const symbol of SYMBOLS) {
        const ticks = merged.get(symbol)!;
        const before = [...ticks.values()].filter((t) => t.ts <= fault.at);
        const a = before.reduce((x, y) => (y.seq > x.seq ? y : x));
        check(
          symbol,
          a,
          ticks.get(a.seq + 1),
          fault.leaderChanged ? `${fault.step} (feed moved)` : fault.step,
        );
      }
    }
    // And everywhere else: no jump anywhere in what was seen.
    for (const symbol of SYMBOLS) {
      const ticks = merged.get(symbol)!;
      for (const [seq, a] of ticks) {
        const b = ticks.get(seq + 1);
        if (b) check(symbol, a, b, 'between');
      }
    }
    if (problems.length) failed = true;
    expect(problems.slice(0, 30)).toEqual([]);
  });
});

/** A plain-text table (console.table's box drawing is hard to read in CI logs). */
function formatTable(rows: Array<Record<string, unknown>>): string {
  if (!rows.length) return '  (none)';
  const keys = Object.keys(rows[0]);
  const cells = [keys, ...rows.map((r) => keys.map((k) => String(r[k])))];
  const widths = keys.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  return cells.map((c) => '  ' + c.map((v, i) => v.padEnd(widths[i])).join(' | ')).join('\n');
}
