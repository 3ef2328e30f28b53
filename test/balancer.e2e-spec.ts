// deploy/haproxy.cfg in front of three Tickerboard nodes, checked from a client's side: REST,
// WebSocket and long-polling sessions (sticky by the TBNODE cookie), and a node that turns not
// ready or stops leaving the rotation. Needs haproxy (/usr/sbin/haproxy or HAPROXY_BIN); without
// it the suite is skipped with the reason, except under CI, where it must run.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { Readiness } from '../src/common/readiness';
import type { Tick } from '../src/contracts';
import { StreamingGateway } from '../src/streaming/streaming.gateway';
import { connect, startApp, waitFor, type TestApp, type TestSocket } from './support/app';
import { freePort } from '../bench/lib/ports';

const HAPROXY = (
  process.env.HAPROXY_BIN
    ? [process.env.HAPROXY_BIN]
    : ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy']
).find((p) => existsSync(p));
const CONFIG = join(process.cwd(), 'deploy', 'haproxy.cfg');
/** Liquid symbols: each ticks several times a second at the nodes' TICK_RATE. */
const SYMBOLS = ['BTCUSD', 'ETHUSD', 'EURUSD', 'AAPL', 'SPY', 'NVDA'];

if (!HAPROXY && !process.env.CI) {
  console.warn(
    `Skipping the balancer suite: no haproxy at ${process.env.HAPROXY_BIN || '/usr/sbin/haproxy'}. Install it (apt-get install -y haproxy) or set HAPROXY_BIN.`,
  );
}
const run = !HAPROXY && !process.env.CI ? describe.skip : describe;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Balancer {
  url: string;
  /** Server states as HAProxy sees them, e.g. `sockets/node2` -> `UP`, `DOWN`, `UP 1/2`. */
  states(): Promise<Map<string, string>>;
  stop(): Promise<void>;
  output(): string;
}

/** HAProxy on deploy/haproxy.cfg, in its own process group, on free ports. */
async function startBalancer(nodes: string[]): Promise<Balancer> {
  if (!HAPROXY)
    throw new Error('haproxy not found: apt-get install -y haproxy (or set HAPROXY_BIN)');
  const [listen, stats] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TB_LISTEN: `127.0.0.1:${listen}`,
    TB_STATS: `127.0.0.1:${stats}`,
    TB_LOG_LEVEL: 'notice',
  };
  nodes.forEach((address, i) => (env[`TB_NODE${i + 1}`] = address));
  const child: ChildProcess = spawn(HAPROXY, ['-f', CONFIG, '-db'], {
    env,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const states = async (): Promise<Map<string, string>> => {
    const csv = await (await fetch(`http://127.0.0.1:${stats}/;csv`)).text();
    const [header, ...rows] = csv.trim().split('\n');
    const col = header.replace(/^# /, '').split(',').indexOf('status');
    return new Map(rows.map((r) => r.split(',')).map((f) => [`${f[0]}/${f[1]}`, f[col]]));
  };
  const balancer: Balancer = {
    url: `http://127.0.0.1:${listen}`,
    states,
    output: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
  // Up once the stats page answers and every node has passed its readiness checks.
  const until = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
    const s = await states().catch(() => undefined);
    if (s && nodes.every((_, i) => s.get(`sockets/node${i + 1}`) === 'UP')) return balancer;
    if (Date.now() > until) {
      await balancer.stop();
      throw new Error(`haproxy did not mark every node UP within 10 s: ${stderr}`);
    }
    await sleep(100);
  }
}

async function getJson(url: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

function collect(s: TestSocket): Tick[] {
  const got: Tick[] = [];
  s.on('ticks', (ts) => got.push(...ts));
  return got;
}

/** Per symbol, seq rises by exactly 1 through what a client received. */
function expectContiguous(ticks: Tick[]): void {
  const last = new Map<string, number>();
  for (const t of ticks) {
    const prev = last.get(t.symbol);
    if (prev !== undefined) expect(t.seq).toBe(prev + 1);
    last.set(t.symbol, t.seq);
  }
}

async function subscribe(s: TestSocket): Promise<void> {
  const ack = await s.emitWithAck('subscribe', { symbols: SYMBOLS });
  if (!ack.ok) throw new Error(JSON.stringify(ack));
}

run('HAProxy in front of three nodes (deploy/haproxy.cfg, e2e)', () => {
  let nodes: TestApp[] = [];
  let lb: Balancer;
  const sockets: TestSocket[] = [];
  const clientsOn = (i: number) => nodes[i].app.get(StreamingGateway).stats().connectedClients;
  const clientCounts = () => nodes.map((_, i) => clientsOn(i));

  /** The node a polling or WebSocket client landed on: the one whose count went up. */
  async function landed(before: number[]): Promise<number> {
    let after: number[] = [];
    await waitFor(
      () => (after = clientCounts()).reduce((a, b) => a + b) > before.reduce((a, b) => a + b),
      5000,
      'the server side of a new client',
    );
    return after.findIndex((n, i) => n > before[i]);
  }

  /** Waits until HAProxy reports `server` (e.g. `sockets/node2`) in `state`; returns the ms it took. */
  async function stateWithin(server: string, state: string, ms: number, since = Date.now()) {
    let last: string | undefined;
    while ((last = (await lb.states()).get(server)) !== state) {
      if (Date.now() - since > ms)
        throw new Error(`${server} is ${last}, not ${state}, after ${ms} ms:\n${lb.output()}`);
      await sleep(100);
    }
    return Date.now() - since;
  }

  /** Which nodes answered `n` REST requests through the balancer (all must be 200). */
  async function answering(n: number): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await getJson(`${lb.url}/api/health/ready`);
      expect(res.status).toBe(200);
      seen.push((res.body as { node: string }).node);
    }
    return seen;
  }

  beforeAll(async () => {
    nodes = await Promise.all(
      [1, 2, 3].map((i) => startApp({ NODE_ID: `node-${i}`, TICK_RATE: '300' })),
    );
    lb = await startBalancer(nodes.map((n) => `127.0.0.1:${n.port}`));
  }, 30_000);

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await lb?.stop();
    await Promise.all(nodes.map((n) => n.close().catch(() => undefined)));
  });

  it('serves REST through one port, spread over every node, without a cookie', async () => {
    expect(new Set(await answering(9))).toEqual(new Set(['node-1', 'node-2', 'node-3']));
    const res = await getJson(`${lb.url}/api/instruments/aapl`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ symbol: 'AAPL' });
    // Stickiness is for Socket.IO sessions only; REST responses stay cacheable.
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await getJson(`${lb.url}/api/instruments/NOPE`)).status).toBe(404);
  });

  it('carries a WebSocket-only client: it connects, subscribes and receives ticks', async () => {
    const s = await connect(lb.url, { transports: ['websocket'] });
    sockets.push(s);
    const got = collect(s);
    await subscribe(s);
    await waitFor(() => got.length >= 20, 10_000, '20 ticks over the WebSocket');
    expect(s.io.engine.transport.name).toBe('websocket');
    expectContiguous(got);
    s.close();
  });

  it('keeps a long-polling client on one node by the TBNODE cookie, ticks arriving for seconds', async () => {
    await waitFor(() => clientCounts().every((n) => n === 0), 10_000, 'earlier clients to leave');
    // socket.io-client keeps cookies in Node only with withCredentials (its cookie jar).
    const s: TestSocket = io(lb.url, {
      transports: ['polling'],
      withCredentials: true,
      forceNew: true,
      reconnection: false,
    });
    sockets.push(s);
    const problems: string[] = [];
    s.on('connect_error', (e) => problems.push(`connect_error: ${e.message}`));
    s.on('disconnect', (reason) => problems.push(`disconnect: ${reason}`));
    await waitFor(() => s.connected, 5000, 'the polling client to connect');
    const got = collect(s);
    await subscribe(s);
    // Every poll and every post of the session must reach the node that holds its sid; one that
    // reached another node would be answered 400 and end the session.
    const arrivals: number[] = [];
    s.on('ticks', () => arrivals.push(Date.now()));
    const start = Date.now();
    await sleep(6000);
    expect(problems).toEqual([]);
    expect(s.connected).toBe(true);
    expect(s.io.engine.transport.name).toBe('polling');
    // Ticks kept coming, not only in a first burst: some in every two seconds.
    for (let t = start; t < start + 6000; t += 2000) {
      expect(arrivals.some((a) => a >= t && a < t + 2000)).toBe(true);
    }
    expect(got.length).toBeGreaterThan(20);
    expectContiguous(got);
    expect(clientCounts().filter((n) => n > 0)).toEqual([1]);
    s.close();
  }, 20_000);

  it('takes a node whose readiness is 503 out of rotation within seconds, and back when ready', async () => {
    await waitFor(() => clientCounts().every((n) => n === 0), 10_000, 'earlier clients to leave');
    const readiness = nodes[1].app.get(Readiness);
    readiness.hold('balancer-spec', 'draining (balancer spec)');
    const fresh: TestSocket[] = [];
    try {
      // fall 2 at 1 s, then 500 ms: about 1.5 s.
      await stateWithin('sockets/node2', 'DOWN', 4000);
      // New REST requests and new sessions go to the two others.
      expect(await answering(8)).not.toContain('node-2');
      for (let i = 0; i < 6; i++) {
        const s = await connect(lb.url, { transports: ['websocket'] });
        fresh.push(s);
        sockets.push(s);
      }
      await waitFor(() => clientCounts().reduce((a, b) => a + b) === 6, 10_000, 'six sessions');
      expect(clientsOn(1)).toBe(0);
      const got = collect(fresh[5]);
      await subscribe(fresh[5]);
      await waitFor(() => got.length > 0, 5000, 'ticks on a session placed while node-2 was out');
    } finally {
      fresh.forEach((s) => s.close());
      readiness.release('balancer-spec');
    }
    await stateWithin('sockets/node2', 'UP', 4000);
    expect(await answering(9)).toContain('node-2');
  }, 40_000);

  it('moves the clients of a stopped node to the others, and REST never fails meanwhile', async () => {
    await waitFor(() => clientCounts().every((n) => n === 0), 10_000, 'earlier clients to leave');
    const before = clientCounts();
    const s: TestSocket = io(lb.url, {
      transports: ['polling'],
      withCredentials: true,
      forceNew: true,
    });
    sockets.push(s);
    // Like the dashboard: subscribe again on every connect.
    s.on('connect', () => void subscribe(s).catch(() => undefined));
    const disconnects: string[] = [];
    s.on('disconnect', (reason) => disconnects.push(reason));
    const got = collect(s);
    const victim = await landed(before);
    await waitFor(() => got.length > 0, 5000, 'first ticks');

    let restFailures = 0;
    let restCalls = 0;
    let stopRest = false;
    const rest = (async () => {
      while (!stopRest) {
        const res = await fetch(`${lb.url}/api/instruments/BTCUSD`, {
          signal: AbortSignal.timeout(5000),
        }).catch(() => undefined);
        restCalls++;
        if (res?.status !== 200) restFailures++;
        await res?.arrayBuffer();
        await sleep(20);
      }
    })();

    try {
      await nodes[victim].close();
      const stoppedAt = Date.now();
      await waitFor(() => disconnects.length > 0, 10_000, 'the client to notice its node stopped');
      const seen = got.length;
      // Reconnected through HAProxy to one of the others, and ticking again. (A browser would
      // still send the cookie naming the stopped node; HAProxy ignores it while that is down.)
      await waitFor(() => s.connected && got.length > seen + 5, 10_000, 'ticks after reconnecting');
      const now = clientCounts().map((n, i) => (i === victim ? 0 : n));
      expect(now.filter((n) => n > 0)).toEqual([1]);
      await stateWithin(`sockets/node${victim + 1}`, 'DOWN', 4000, stoppedAt);
      expect(restCalls).toBeGreaterThan(5); // requests went on across the stop
      expect(restFailures).toBe(0);
    } finally {
      // Also when an expectation failed: a loop left running would keep Jest from exiting.
      stopRest = true;
      await rest;
      s.close();
    }
  }, 30_000);
});
