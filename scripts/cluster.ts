// npm run cluster: a local Tickerboard cluster behind HAProxy on one machine: its own nats-server
// (JetStream), a PostgreSQL database, three nodes (node dist/main.js) and deploy/haproxy.cfg.
// Ctrl-C stops all of it and removes the temporary files; the database is kept.
//
//   npm run cluster [-- --port 8080] [--fresh] [--single]
//
//   --port N   HAProxy's public port (default 8080)
//   --fresh    drop and recreate the database first (default: reuse it)
//   --db NAME  database name (default tickerboard_cluster); the server is CLUSTER_PG_URL,
//              default postgres://postgres@127.0.0.1:5432
//   --single   no NATS and no PostgreSQL: three independent single-process nodes, each with its
//              own SQLite under a temporary DATA_DIR and no backfill. Exercises the balancer and
//              this script without cluster mode; each node then runs its own feed.
//
// Other environment variables (TICK_RATE, LOG_LEVEL, SEED, ...) pass through to every node.
import { randomBytes } from 'node:crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { freePort } from '../bench/lib/ports';

const ROOT = process.cwd();
const NODES = 3;
/** How long a node may take to stop on SIGTERM (it drains and flushes) before SIGKILL. */
const STOP_GRACE_MS = 15_000;
/** A first start on an empty database generates history (about 15 s on 2 cores). */
const START_TIMEOUT_MS = 180_000;

interface Options {
  port: number;
  fresh: boolean;
  single: boolean;
  db: string;
}

/** The one-line failure: `cluster: <message>` on stderr, exit code 1. */
class Fatal extends Error {}

function parseArgs(argv: string[]): Options {
  const opts: Options = { port: 8080, fresh: false, single: false, db: 'tickerboard_cluster' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Fatal(`${flag} needs a value`);
      return v;
    };
    if (flag === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new Fatal(`--port must be a port number (1-65535)`);
      opts.port = port;
    } else if (flag === '--fresh') opts.fresh = true;
    else if (flag === '--single') opts.single = true;
    else if (flag === '--db') {
      opts.db = value();
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(opts.db))
        throw new Fatal('--db must be a lower-case identifier (a-z, 0-9, _)');
    } else if (flag === '--help' || flag === '-h') {
      process.stdout.write(
        'usage: npm run cluster [-- --port 8080] [--fresh] [--db NAME] [--single]\n',
      );
      process.exit(0);
    } else throw new Fatal(`unknown option ${arg} (try --help)`);
  }
  return opts;
}

/** An executable from an env override, well-known paths or PATH. */
function findBinary(name: string, override: string | undefined): string | undefined {
  if (override) return existsSync(override) ? override : undefined;
  const dirs = ['/usr/sbin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(delimiter)];
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const COLORS = [36, 33, 35, 32, 34, 31];
const tty = process.stdout.isTTY;
const paint = (text: string, color: number) => (tty ? `\x1b[${color}m${text}\x1b[0m` : text);

function say(line: string): void {
  process.stdout.write(`${paint('cluster  |', 1)} ${line}\n`);
}

/** A child in its own process group whose output lines are prefixed with its name. */
class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  running = true;
  private stopping = false;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    color: number,
    showStdout = true,
  ) {
    // Its own process group (detached): Ctrl-C reaches only this script, which stops the
    // children in order, and a stop reaches whatever a child started.
    this.child = spawn(command, args, {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', showStdout ? 'pipe' : 'ignore', 'pipe'],
    });
    const prefix = paint(`${name.padEnd(8)} |`, color);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (line) =>
          process.stdout.write(`${prefix} ${line}\n`),
        );
    }
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        say(`${name}: could not start ${command}: ${err.message}`);
        this.running = false;
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.running = false;
        if (!this.stopping) say(`${name} exited (${signal ?? `code ${code}`})`);
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      // already gone
    }
  }

  /** SIGTERM to the group (and SIGCONT, should it have been kill -STOPped), SIGKILL after graceMs. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.signal('SIGTERM');
    this.signal('SIGCONT');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      say(`${this.name} did not stop within ${graceMs / 1000} s: SIGKILL`);
      this.signal('SIGKILL');
      await this.exited;
    }
  }

  kill(): void {
    this.stopping = true;
    if (this.running) this.signal('SIGKILL');
  }
}

async function httpStatus(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

/** Waits until `url` answers 200; fails if `proc` exits first or after `ms`. */
async function waitHttp(url: string, proc: Proc, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while ((await httpStatus(url))?.status !== 200) {
    if (!proc.running) throw new Fatal(`${proc.name} exited while waiting for ${what} (log above)`);
    if (Date.now() > until) throw new Fatal(`no ${what} within ${ms / 1000} s (${url})`);
    await sleep(250);
  }
}

async function waitPort(port: number, proc: Proc, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await portTaken(port))) {
    if (!proc.running) throw new Fatal(`${proc.name} exited before listening (log above)`);
    if (Date.now() > until)
      throw new Fatal(`${proc.name} did not listen on ${port} within ${ms} ms`);
    await sleep(100);
  }
}

/** Creates the database unless it exists (drops it first with --fresh); returns the node URL. */
async function prepareDatabase(opts: Options): Promise<string> {
  const server = (process.env.CLUSTER_PG_URL || 'postgres://postgres@127.0.0.1:5432').replace(
    /\/+$/,
    '',
  );
  const admin = new pg.Client({
    connectionString: `${server}/postgres`,
    connectionTimeoutMillis: 3000,
  });
  try {
    await admin.connect();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Fatal(
      `cannot reach PostgreSQL at ${server} (${e.code ?? e.message}). Start it: ` +
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set CLUSTER_PG_URL)',
    );
  }
  try {
    if (opts.fresh) {
      say(`dropping database ${opts.db} (--fresh)`);
      await admin.query(`DROP DATABASE IF EXISTS "${opts.db}" WITH (FORCE)`);
    }
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      opts.db,
    ]);
    if (rowCount) say(`reusing database ${opts.db} (--fresh starts over)`);
    else {
      await admin.query(`CREATE DATABASE "${opts.db}"`);
      say(`created database ${opts.db}`);
    }
  } finally {
    await admin.end();
  }
  return `${server}/${opts.db}`;
}

function waitingFor(answer: { status: number; body: string } | undefined): string {
  if (!answer) return 'no answer';
  if (answer.status === 200) return 'ready';
  try {
    return (JSON.parse(answer.body) as { waiting: string[] }).waiting.join(', ');
  } catch {
    return `status ${answer.status}`;
  }
}

/**
 * Says when every node is ready (HAProxy sends a node traffic only then), and meanwhile, now and
 * then, what they wait for: a new database first gets its history (about a minute on 2 cores).
 */
async function reportReadiness(
  nodes: { proc: Proc; url: string }[],
  stopped: () => boolean,
): Promise<void> {
  const start = Date.now();
  let told = 0;
  // Five minutes at most: a node killed by hand would otherwise be reported on forever.
  while (!stopped() && Date.now() - start < 300_000) {
    const answers = await Promise.all(nodes.map((n) => httpStatus(`${n.url}/api/health/ready`)));
    if (answers.every((a) => a?.status === 200)) {
      say(`all ${nodes.length} nodes ready after ${Math.round((Date.now() - start) / 1000)} s`);
      return;
    }
    if (Date.now() - start > 10_000 + told * 30_000) {
      told++;
      const waiting = answers.map((a, i) => `${nodes[i].proc.name}: ${waitingFor(a)}`);
      say(`waiting for readiness (${waiting.join('; ')})`);
    }
    await sleep(1000);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const haproxy = findBinary('haproxy', process.env.HAPROXY_BIN);
  if (!haproxy)
    throw new Fatal(
      'haproxy not found. Install it: apt-get install -y haproxy (or set HAPROXY_BIN)',
    );
  const natsServer = opts.single
    ? undefined
    : findBinary('nats-server', process.env.NATS_SERVER_BIN);
  if (!opts.single && !natsServer)
    throw new Fatal(
      'nats-server not found. Install it: apt-get install -y nats-server (or set NATS_SERVER_BIN)',
    );
  if (!existsSync(join(ROOT, 'dist', 'main.js')))
    throw new Fatal('dist/main.js is missing: run "npm run build" (npm run cluster does)');
  if (await portTaken(opts.port))
    throw new Fatal(`port ${opts.port} is in use: stop what listens there or pass --port`);

  const procs: Proc[] = [];
  const work = mkdtempSync(join(tmpdir(), 'tickerboard-local-cluster-'));
  let shuttingDown = false;

  /** Stops in order: the balancer (no new traffic), the nodes (they drain), then NATS. */
  const shutdown = async (code: number): Promise<never> => {
    shuttingDown = true;
    const [balancer, nodes, nats] = [
      procs.filter((p) => p.name === 'haproxy'),
      procs.filter((p) => p.name.startsWith('node-')),
      procs.filter((p) => p.name === 'nats'),
    ];
    for (const p of balancer) await p.stop(5000);
    await Promise.all(nodes.map((p) => p.stop(STOP_GRACE_MS)));
    for (const p of nats) await p.stop(5000);
    rmSync(work, { recursive: true, force: true });
    say(`stopped; temporary files removed${opts.single ? '' : `, database ${opts.db} kept`}`);
    process.exit(code);
  };
  let firstSignalAt = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      // Ctrl-C reaches this process twice (from the terminal and relayed by tsx): a second
      // signal counts only when it comes later.
      if (firstSignalAt && Date.now() - firstSignalAt < 1000) return;
      if (firstSignalAt) {
        say('second signal: killing everything now');
        procs.forEach((p) => p.kill());
        rmSync(work, { recursive: true, force: true });
        process.exit(130);
      }
      firstSignalAt = Date.now();
      say(`${sig}: stopping (again to kill at once)`);
      void shutdown(0);
    });
  }
  // Whatever happens to this script, its children do not outlive it.
  process.on('exit', () => procs.forEach((p) => p.kill()));

  try {
    const nodeEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      CLIENT: 'static',
      FEED: 'auto',
      // Behind deploy/haproxy.cfg: the per-IP limits read X-Forwarded-For from one proxy, and a
      // page cursor from one node is good on the others (docs/SECURITY.md).
      TRUST_PROXY: process.env.TRUST_PROXY ?? '1',
      CURSOR_SECRET: process.env.CURSOR_SECRET ?? randomBytes(32).toString('base64url'),
    };
    let mode: string;
    if (natsServer) {
      // PostgreSQL first: the dependency most likely to be missing, and the cheapest to check.
      nodeEnv.DATABASE_URL = await prepareDatabase(opts);
      const natsPort = await freePort();
      mkdirSync(join(work, 'nats'));
      const nats = new Proc(
        'nats',
        natsServer,
        ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', join(work, 'nats')],
        process.env,
        COLORS[5],
      );
      procs.push(nats);
      await waitPort(natsPort, nats, 10_000);
      nodeEnv.NATS_URL = `nats://127.0.0.1:${natsPort}`;
      mode = `cluster mode: ${nodeEnv.NATS_URL}, ${nodeEnv.DATABASE_URL}`;
    } else {
      delete nodeEnv.NATS_URL;
      delete nodeEnv.DATABASE_URL;
      nodeEnv.BACKFILL ??= 'false';
      mode = 'single-process nodes (--single): no NATS, one SQLite each, independent feeds';
    }

    const nodes: { proc: Proc; url: string; address: string }[] = [];
    const startNode = (i: number) => {
      const name = `node-${i}`;
      return freePort().then((port) => {
        const env: NodeJS.ProcessEnv = { ...nodeEnv, NODE_ID: name, PORT: String(port) };
        if (opts.single) {
          env.DATA_DIR = join(work, name);
          mkdirSync(env.DATA_DIR);
        }
        const proc = new Proc(name, process.execPath, ['dist/main.js'], env, COLORS[i - 1]);
        procs.push(proc);
        const node = { proc, url: `http://127.0.0.1:${port}`, address: `127.0.0.1:${port}` };
        nodes.push(node);
        return node;
      });
    };
    // node-1 first: on a new database it creates the schema (and the history) alone.
    say(`starting node-1 (${mode})`);
    const first = await startNode(1);
    await waitHttp(`${first.url}/api/health/live`, first.proc, START_TIMEOUT_MS, 'node-1 to serve');
    const rest = await Promise.all(Array.from({ length: NODES - 1 }, (_, i) => startNode(i + 2)));
    await Promise.all(
      rest.map((n) =>
        waitHttp(`${n.url}/api/health/live`, n.proc, START_TIMEOUT_MS, `${n.proc.name} to serve`),
      ),
    );
    nodes.sort((a, b) => a.proc.name.localeCompare(b.proc.name));

    const statsPort = await freePort();
    const balancerEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TB_LISTEN: `127.0.0.1:${opts.port}`,
      TB_STATS: `127.0.0.1:${statsPort}`,
      TB_LOG_LEVEL: process.env.TB_LOG_LEVEL || 'notice',
    };
    nodes.forEach((n, i) => (balancerEnv[`TB_NODE${i + 1}`] = n.address));
    // Its stderr carries start-up errors and every check and UP/DOWN change; stdout (the same
    // messages as log lines, or requests at TB_LOG_LEVEL=info) is left out.
    const balancer = new Proc(
      'haproxy',
      haproxy,
      ['-f', join(ROOT, 'deploy', 'haproxy.cfg'), '-db'],
      balancerEnv,
      COLORS[4],
      false,
    );
    procs.push(balancer);
    await waitPort(opts.port, balancer, 10_000);

    const lb = `http://localhost:${opts.port}`;
    const lines = [
      '',
      `Tickerboard cluster is up (${mode})`,
      `  dashboard  ${lb}/            through HAProxy (leastconn, readiness checks, TBNODE cookie)`,
      `  API        ${lb}/api         docs ${lb}/api/docs${opts.single ? '' : `, cluster ${lb}/api/cluster`}`,
      `  stats      http://127.0.0.1:${statsPort}/   HAProxy's view of the nodes`,
      ...nodes.map((n) => `  ${n.proc.name.padEnd(9)}  ${n.url}/   pid ${n.proc.pid}`),
      '  failover   kill <pid> stops a node; kill -STOP <pid> freezes one (kill -CONT to resume)',
      '  Ctrl-C stops everything',
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    void reportReadiness(nodes, () => shuttingDown);
    setInterval(() => undefined, 1 << 30); // runs until a signal, also if every child has exited
  } catch (err) {
    if (shuttingDown) return;
    process.stderr.write(`cluster: ${(err as Error).message}\n`);
    await shutdown(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cluster: ${err instanceof Fatal ? err.message : String(err)}\n`);
  process.exit(1);
});
