// Multi-process harness for cluster specs: a private nats-server (stoppable and restartable on
// the same port and store), a fresh PostgreSQL database, Tickerboard nodes as child processes in
// their own process groups with a log file each, and socket.io "recorders" that keep every tick
// they see, reconnect (to another node when theirs is gone) and resume from their last seqs.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import pg from 'pg';
import { io } from 'socket.io-client';
import type { Notice, Snapshot, SubscribeAck, Tick } from '../../src/contracts';
import type { TestSocket } from './app';
import { freePort } from '../../bench/lib/ports';

export const NATS_SERVER = process.env.NATS_SERVER_BIN || '/usr/sbin/nats-server';
/** Where a fresh database per run is created from (the same default as the PostgreSQL specs). */
export const PG_BASE_URL =
  process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns something other than undefined. */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  ms: number,
  what: string,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Why PostgreSQL at `url` cannot be used (synchronous, so a spec can decide to skip at load). */
export function pgUnreachable(url = PG_BASE_URL): string | undefined {
  const probe = `new (require('pg').Client)({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 })
    .connect().then(() => process.exit(0), (e) => { console.error(e.code || e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', probe, url], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? undefined : r.stderr.trim().split('\n').pop() || 'no answer';
}

/** Why the cluster specs cannot run here (missing nats-server or PostgreSQL), or undefined. */
export function clusterPrerequisitesMissing(): string | undefined {
  const missing: string[] = [];
  if (!existsSync(NATS_SERVER)) {
    missing.push(
      `no nats-server at ${NATS_SERVER} (apt-get install nats-server, or set NATS_SERVER_BIN)`,
    );
  }
  const pgReason = pgUnreachable();
  if (pgReason) missing.push(`PostgreSQL at ${PG_BASE_URL} is unreachable (${pgReason})`);
  return missing.length ? missing.join('; ') : undefined;
}

/** Nest's start-up chatter and nats-server's banner, left out of log tails. */
const NOISE =
  /\[(InstanceLoader|RoutesResolver|RouterExplorer|WebSocketsController)\]|\[INF\] (\s|\||-|$)/;

function tail(file: string, lines: number): string {
  try {
    const all = readFileSync(file, 'utf8').trimEnd().split('\n');
    return all
      .filter((l) => !NOISE.test(l))
      .slice(-lines)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(path, suffix);
    return e.name.endsWith(suffix) ? [path] : [];
  });
}

/**
 * Compiles the server into a private directory (about 5 s) and returns the script that starts
 * it. Private, because other specs run `nest build`, which deletes dist/ while our nodes may be
 * starting from it. `node_modules` is linked next to it so the build resolves its packages. The
 * script's name says neither dist nor main.js, so that a `pkill -f dist/main.js` run elsewhere
 * on the machine does not stop our nodes.
 */
export function buildServer(into: string, root = process.cwd()): string {
  mkdirSync(into, { recursive: true });
  if (!existsSync(join(into, 'node_modules'))) {
    symlinkSync(join(root, 'node_modules'), join(into, 'node_modules'), 'dir');
  }
  const outDir = join(into, 'server');
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
      '--outDir',
      outDir,
      '--tsBuildInfoFile',
      join(into, 'build.tsbuildinfo'),
    ],
    { cwd: root, stdio: 'pipe' },
  );
  // nest-cli.json's assets (the SQLite writer's worker).
  const src = join(root, 'src');
  for (const file of filesUnder(src, '.worker.cjs')) {
    const target = join(outDir, relative(src, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  const entry = join(into, 'tickerboard-cluster-node.cjs');
  writeFileSync(entry, "require('./server/main.js');\n");
  return entry;
}

/** Sends `signal` to the process group of `child`; false when it is gone already. */
function signalGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): boolean {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Appends a harness line to a process's log file, so its log reads as a timeline. */
function mark(file: string, line: string): void {
  const fd = openSync(file, 'a');
  writeSync(fd, `--- harness ${new Date().toISOString()} ${line}\n`);
  closeSync(fd);
}

/** A child process in its own process group, its stdout and stderr appended to `logFile`. */
abstract class GroupProcess {
  protected child: ChildProcess | undefined;
  /** Why it could not be started (e.g. ENOENT), if so. */
  spawnError: string | undefined;
  /** Whether the harness has sent it SIGTERM or SIGKILL since it started. */
  protected signalled = false;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(readonly logFile: string) {}

  protected launch(command: string, args: string[], env: NodeJS.ProcessEnv): void {
    mark(this.logFile, `start ${command} ${args.join(' ')}`);
    const fd = openSync(this.logFile, 'a');
    try {
      const child = spawn(command, args, { env, detached: true, stdio: ['ignore', fd, fd] });
      this.exit = undefined;
      child.once('error', (err) => {
        this.spawnError = err.message;
        mark(this.logFile, `spawn error: ${err.message}`);
      });
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        const why = this.signalled ? '' : ' (not signalled by the harness)';
        mark(this.logFile, `exited code=${code} signal=${signal}${why}`);
      });
      this.signalled = false;
      this.spawnError = undefined;
      this.child = child;
    } finally {
      closeSync(fd);
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Started and not exited (a stopped process counts as running). */
  get running(): boolean {
    const child = this.child;
    return !!child && child.exitCode === null && child.signalCode === null && !this.spawnError;
  }

  /** Signals the group; for SIGTERM/SIGKILL waits for the exit (SIGKILL after `graceMs`). */
  async signal(signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    mark(this.logFile, `signal ${signal}`);
    if (signal === 'SIGTERM' || signal === 'SIGKILL') this.signalled = true;
    if (!signalGroup(child, signal)) return;
    if (signal !== 'SIGTERM' && signal !== 'SIGKILL') return;
    if (await waitExit(child, graceMs)) return;
    signalGroup(child, 'SIGCONT');
    signalGroup(child, 'SIGKILL');
    await waitExit(child, 5_000);
  }

  tail(lines = 60): string {
    return tail(this.logFile, lines);
  }
}

/** A private JetStream server that can be stopped and started again on the same port and store. */
export class NatsServer extends GroupProcess {
  readonly url: string;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    logFile: string,
  ) {
    super(logFile);
    this.url = `nats://127.0.0.1:${port}`;
  }

  static async start(dir: string): Promise<NatsServer> {
    const storeDir = join(dir, 'jetstream');
    mkdirSync(storeDir, { recursive: true });
    const server = new NatsServer(await freePort(), storeDir, join(dir, 'nats-server.log'));
    await server.start();
    return server;
  }

  /** Starts (or restarts) the server and waits until JetStream answers. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) throw new Error('nats-server is running already');
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    this.launch(NATS_SERVER, args, process.env);
    const deadline = Date.now() + timeoutMs;
    let last = 'no attempt';
    while (Date.now() < deadline) {
      if (!this.running) break;
      try {
        const nc = await natsConnect({ servers: this.url, reconnect: false, timeout: 500 });
        try {
          await (await jetstreamManager(nc)).getAccountInfo();
          return;
        } finally {
          await nc.close();
        }
      } catch (err) {
        last = (err as Error).message;
        await sleep(100);
      }
    }
    throw new Error(
      `${NATS_SERVER} did not start on ${this.url} (${this.spawnError ?? (this.exit ? `exit ${JSON.stringify(this.exit)}` : last)}):\n${this.tail(20)}`,
    );
  }

  stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    return this.signal(signal);
  }
}

/** A fresh PostgreSQL database for one run, dropped at the end. */
export class PgDatabase {
  private client: pg.Client | undefined;

  private constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(prefix = 'tb_cluster', baseUrl = PG_BASE_URL): Promise<PgDatabase> {
    const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    return new PgDatabase(name, url.toString());
  }

  async query<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.client) {
      this.client = new pg.Client({ connectionString: this.url });
      await this.client.connect();
    }
    return (await this.client.query(sql, params)).rows as T[];
  }

  /** The stored ticks of `symbols` (the store's `ticks` table), numbers as numbers. */
  async ticks(symbols: readonly string[]): Promise<Tick[]> {
    const rows = await this.query<Record<string, string | number>>(
      `SELECT symbol, seq, ts, bid, ask, bid_size AS "bidSize", ask_size AS "askSize", last, size, volume
         FROM ticks WHERE symbol = ANY($1) ORDER BY symbol, seq`,
      [symbols],
    );
    return rows.map((r) => ({
      symbol: String(r.symbol),
      seq: Number(r.seq),
      ts: Number(r.ts),
      bid: Number(r.bid),
      ask: Number(r.ask),
      bidSize: Number(r.bidSize),
      askSize: Number(r.askSize),
      last: Number(r.last),
      size: Number(r.size),
      volume: Number(r.volume),
    }));
  }

  async drop(baseUrl = PG_BASE_URL): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}

export interface ClusterInfo {
  node: string;
  leader: string | null;
  nodes: Array<{ id: string; clients: number; lag: number; feed: unknown }>;
}

/** One `node dist/main.js` process. */
export class ClusterNode extends GroupProcess {
  readonly url: string;
  /** Set by pause(), cleared by resume(). */
  paused = false;
  /** Killed or stopped by the test: not coming back. */
  gone = false;

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly mainJs: string,
    logFile: string,
    private readonly env: Record<string, string>,
  ) {
    super(logFile);
    this.url = `http://127.0.0.1:${port}`;
  }

  start(): void {
    this.gone = false;
    this.paused = false;
    this.launch(process.execPath, [this.mainJs], {
      ...process.env,
      NO_COLOR: '1',
      HOST: '127.0.0.1',
      CLIENT: 'off',
      BACKFILL: 'false',
      ...this.env,
      NODE_ID: this.id,
      PORT: String(this.port),
    });
  }

  /** Waits until GET /api/health/ready answers 200; fails at once if the process exits. */
  async waitReady(ms = 30_000): Promise<void> {
    let last = 'no answer';
    try {
      await until(
        async () => {
          if (!this.running) throw new Error(`exited ${JSON.stringify(this.exit)}`);
          try {
            const res = await this.get<unknown>('/api/health/ready', 2000);
            last = `${res.status} ${JSON.stringify(res.body)}`;
            return res.status === 200 ? true : undefined;
          } catch (err) {
            last = (err as Error).message;
            return undefined;
          }
        },
        ms,
        `${this.id} to be ready`,
        100,
      );
    } catch (err) {
      throw new Error(
        `${this.id} not ready (${(err as Error).message}; last answer: ${last}):\n${this.tail(40)}`,
        { cause: err },
      );
    }
  }

  /** GET as JSON, on a connection of its own (no keep-alive pool left open after the spec). */
  get<T>(path: string, timeoutMs = 3000): Promise<{ status: number; body: T }> {
    return new Promise((resolve, reject) => {
      const req = httpGet(`${this.url}${path}`, { agent: false, timeout: timeoutMs }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
          } catch {
            reject(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
    });
  }

  async cluster(): Promise<ClusterInfo> {
    const { status, body } = await this.get<ClusterInfo>('/api/cluster');
    if (status !== 200) throw new Error(`${this.id} GET /api/cluster: ${status}`);
    return body;
  }

  /** Every stored tick of `symbol` this node serves over REST (all pages). */
  async quotes(symbol: string): Promise<Tick[]> {
    const out: Tick[] = [];
    let query = `from=0&limit=5000`;
    for (;;) {
      const { status, body } = await this.get<{ quotes: Tick[]; nextCursor: string | null }>(
        `/api/instruments/${symbol}/quotes?${query}`,
        10_000,
      );
      if (status !== 200) throw new Error(`${this.id} quotes ${symbol}: ${status}`);
      out.push(...body.quotes);
      if (!body.nextCursor) return out;
      query = `cursor=${encodeURIComponent(body.nextCursor)}`;
    }
  }

  async kill(): Promise<void> {
    this.gone = true;
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    this.gone = true;
    await this.signal('SIGTERM');
  }

  pause(): void {
    mark(this.logFile, 'signal SIGSTOP');
    if (signalGroup(this.child, 'SIGSTOP')) this.paused = true;
  }

  resume(): void {
    mark(this.logFile, 'signal SIGCONT');
    signalGroup(this.child, 'SIGCONT');
    this.paused = false;
  }
}

export interface ClusterOptions {
  nodes: string[];
  /** Env of every node (TICK_RATE, SEED, FEED, LOG_LEVEL ...). */
  env?: Record<string, string>;
  /** Env per node id, over `env`. */
  nodeEnv?: Record<string, Record<string, string>>;
  /** Without NATS and PostgreSQL: single-process nodes (each its own SQLite store), for dry runs. */
  standalone?: boolean;
  /** A built main.js to run instead of compiling one. */
  mainJs?: string;
}

/** nats-server + a fresh database + nodes; `close()` ends every process it started. */
export class Cluster {
  nats: NatsServer | undefined;
  db: PgDatabase | undefined;
  readonly nodes: ClusterNode[] = [];
  /** Set when the run failed: close() keeps `dir` (logs) and says where it is. */
  keepLogs = false;

  private constructor(readonly dir: string) {}

  static async start(options: ClusterOptions): Promise<Cluster> {
    if (!options.standalone && !existsSync(NATS_SERVER)) {
      throw new Error(`No nats-server at ${NATS_SERVER}: install it or set NATS_SERVER_BIN`);
    }
    const cluster = new Cluster(mkdtempSync(join(tmpdir(), 'tickerboard-cluster-')));
    try {
      const mainJs = options.mainJs ?? buildServer(join(cluster.dir, 'build'));
      const env: Record<string, string> = { ...options.env };
      if (!options.standalone) {
        cluster.nats = await NatsServer.start(cluster.dir);
        cluster.db = await PgDatabase.create();
        env.NATS_URL = cluster.nats.url;
        env.DATABASE_URL = cluster.db.url;
      }
      for (const id of options.nodes) {
        const nodeEnv = { ...env, ...options.nodeEnv?.[id] };
        if (options.standalone) {
          nodeEnv.DATA_DIR = join(cluster.dir, `data-${id}`);
          mkdirSync(nodeEnv.DATA_DIR, { recursive: true });
        }
        const node = new ClusterNode(
          id,
          await freePort(),
          mainJs,
          join(cluster.dir, `${id}.log`),
          nodeEnv,
        );
        cluster.nodes.push(node);
        node.start();
      }
      await Promise.all(cluster.nodes.map((n) => n.waitReady(60_000)));
      return cluster;
    } catch (err) {
      cluster.keepLogs = true;
      await cluster.close();
      throw err;
    }
  }

  node(id: string): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** Nodes the test has not killed or stopped (a paused node is live). */
  get live(): ClusterNode[] {
    return this.nodes.filter((n) => !n.gone && n.running);
  }

  /** Nodes that answer now: live and not paused. */
  get answering(): ClusterNode[] {
    return this.live.filter((n) => !n.paused);
  }

  /** /api/cluster of every answering node (errors as strings). */
  async views(): Promise<Record<string, ClusterInfo | string>> {
    const entries = await Promise.all(
      this.answering.map(async (n) => {
        try {
          return [n.id, await n.cluster()] as const;
        } catch (err) {
          return [n.id, (err as Error).message] as const;
        }
      }),
    );
    return Object.fromEntries(entries);
  }

  /**
   * Waits until every answering node names the same leader, satisfying `accept` (e.g. not the
   * old one), and returns it.
   */
  async agreedLeader(ms: number, accept: (id: string) => boolean = () => true): Promise<string> {
    let seen: Record<string, ClusterInfo | string> = {};
    try {
      return await until(
        async () => {
          seen = await this.views();
          const leaders = Object.values(seen).map((v) => (typeof v === 'string' ? v : v.leader));
          const [first] = leaders;
          if (typeof first !== 'string' || !accept(first)) return undefined;
          if (!this.nodes.some((n) => n.id === first)) return undefined;
          return leaders.every((l) => l === first) ? first : undefined;
        },
        ms,
        'the nodes to agree on a leader',
        100,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last views: ${JSON.stringify(seen)}`, {
        cause: err,
      });
    }
  }

  /** Processes that exited without the test stopping them. */
  unexpectedExits(): string[] {
    const procs: Array<[string, GroupProcess, boolean]> = this.nodes.map((n) => [n.id, n, n.gone]);
    if (this.nats) procs.push(['nats-server', this.nats, false]);
    return procs
      .filter(([, p, gone]) => !gone && !p.running && p.exit)
      .map(([id, p]) => `${id} exited on its own: ${JSON.stringify(p.exit)}`);
  }

  /** The last lines of every process's log, for failure messages. */
  logs(lines = 40): string {
    const parts = this.nodes.map((n) => `==== ${n.id} (${n.logFile})\n${n.tail(lines)}`);
    if (this.nats) parts.push(`==== nats-server (${this.nats.logFile})\n${this.nats.tail(15)}`);
    return parts.join('\n');
  }

  async close(): Promise<void> {
    for (const node of this.nodes) node.gone = true;
    await Promise.all(this.nodes.map((n) => n.signal('SIGKILL')));
    await this.nats?.stop('SIGKILL');
    await this.db?.drop().catch((err: Error) => console.warn(`drop database: ${err.message}`));
    if (this.keepLogs) {
      console.warn(`Cluster logs kept in ${this.dir}`);
      rmSync(join(this.dir, 'build'), { recursive: true, force: true });
      rmSync(join(this.dir, 'jetstream'), { recursive: true, force: true });
    } else {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Recorder: a client that records everything it sees.

export interface Target {
  id: string;
  url: string;
  /** False for a node known to be gone or frozen: a reconnect does not try it. */
  up?: boolean;
}

export interface RecordedTick {
  tick: Tick;
  /** Arrival time (Date.now()). */
  at: number;
  /** Connection number within the recorder, from 1. */
  conn: number;
  node: string;
}

export interface ConnectionRecord {
  conn: number;
  node: string;
  connectedAt: number;
  /** The resume map sent with the subscribe (absent on the first connection). */
  resume?: Record<string, number>;
  ackAt?: number;
  /** Time from subscribe to its acknowledgement. */
  ackMs?: number;
  unresumable: string[];
  snapshot: Snapshot[];
  /** The node the acknowledgement names (cluster mode), when it names one. */
  servedBy?: string;
  error?: string;
  disconnectedAt?: number;
  reason?: string;
}

export interface RecordedNotice {
  at: number;
  node: string;
  conn: number;
  notice: Notice;
}

/**
 * A socket.io client subscribed in full mode to `symbols`. On a disconnect it connects to the
 * next target after its current one (so to another node first; see `spread`), subscribes again with
 * `resume: {symbol: last seq seen}` and carries on; it keeps every tick, ack and notice.
 */
export class Recorder {
  readonly ticks = new Map<string, RecordedTick[]>();
  /** Arrival times of the `ticks` frames that carried a subscribed symbol. */
  readonly frames: Array<{ at: number; maxTs: number }> = [];
  readonly connections: ConnectionRecord[] = [];
  readonly notices: RecordedNotice[] = [];
  readonly lastSeq = new Map<string, number>();
  private socket: TestSocket | undefined;
  private closed = false;
  private reconnecting: Promise<void> | undefined;
  current: Target;

  constructor(
    readonly name: string,
    readonly symbols: readonly string[],
    /** The nodes a reconnect may try, in a stable order. */
    private readonly targets: () => Target[],
    first: Target,
    /** How many of the next nodes a reconnect skips first (0: the next one). */
    private readonly spread = 0,
  ) {
    this.current = first;
    for (const s of symbols) this.ticks.set(s, []);
  }

  async start(timeoutMs = 10_000): Promise<void> {
    const ok = await this.connectTo(this.current);
    if (!ok) {
      const conn = this.connections[this.connections.length - 1];
      throw new Error(`${this.name} could not subscribe on ${this.current.id}: ${conn?.error}`);
    }
    await until(
      () => (this.connections.at(-1)?.ackAt ? true : undefined),
      timeoutMs,
      `${this.name}'s first ack`,
    );
  }

  get connection(): ConnectionRecord | undefined {
    return this.connections[this.connections.length - 1];
  }

  /** Subscribed right now (connected and acknowledged). */
  get subscribed(): boolean {
    const c = this.connection;
    return !!c?.ackAt && !c.disconnectedAt && !c.error;
  }

  /** The latest frame arrival, or 0. */
  get lastFrameAt(): number {
    return this.frames.length ? this.frames[this.frames.length - 1].at : 0;
  }

  /** How many ticks it holds of every symbol (the smallest count). */
  get minCount(): number {
    return Math.min(...[...this.ticks.values()].map((t) => t.length));
  }

  private onTicks(ticks: Tick[], conn: number, node: string): void {
    const at = Date.now();
    let maxTs = 0;
    for (const tick of ticks) {
      const list = this.ticks.get(tick.symbol);
      if (!list) continue;
      list.push({ tick, at, conn, node });
      this.lastSeq.set(tick.symbol, tick.seq);
      maxTs = Math.max(maxTs, tick.ts);
    }
    if (maxTs) this.frames.push({ at, maxTs });
  }

  private async connectTo(target: Target): Promise<boolean> {
    const record: ConnectionRecord = {
      conn: this.connections.length + 1,
      node: target.id,
      connectedAt: 0,
      unresumable: [],
      snapshot: [],
    };
    const socket: TestSocket = io(target.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 3000,
    });
    const connected = await new Promise<string | undefined>((resolve) => {
      socket.once('connect', () => resolve(undefined));
      socket.once('connect_error', (err) => resolve(err.message));
    });
    if (connected !== undefined || this.closed) {
      socket.disconnect();
      return false;
    }
    this.connections.push(record);
    this.current = target;
    this.socket = socket;
    record.connectedAt = Date.now();
    const { conn } = record;
    socket.on('ticks', (ticks) => this.onTicks(ticks, conn, target.id));
    socket.on('notice', (notice) =>
      this.notices.push({ at: Date.now(), node: target.id, conn, notice }),
    );
    socket.on('disconnect', (reason) => {
      record.disconnectedAt = Date.now();
      record.reason = reason;
      if (!this.closed && reason !== 'io client disconnect') void this.reconnect();
    });
    const resume = Object.fromEntries(
      this.symbols.flatMap((s) => {
        const seq = this.lastSeq.get(s);
        return seq === undefined ? [] : [[s, seq]];
      }),
    );
    const seenBefore = new Map(this.symbols.map((s) => [s, this.ticks.get(s)!.length]));
    if (Object.keys(resume).length) record.resume = resume;
    const sent = Date.now();
    let ack: SubscribeAck;
    try {
      ack = await socket.timeout(15_000).emitWithAck('subscribe', {
        symbols: [...this.symbols],
        mode: 'full',
        ...(record.resume ? { resume } : {}),
      });
    } catch (err) {
      record.error = `no ack: ${(err as Error).message}`;
      socket.disconnect();
      if (!this.closed) void this.reconnect();
      return false;
    }
    record.ackAt = Date.now();
    record.ackMs = record.ackAt - sent;
    if (!ack.ok) {
      record.error = `${ack.error.code}: ${ack.error.message}`;
      socket.disconnect();
      if (!this.closed) void this.reconnect();
      return false;
    }
    record.unresumable = ack.unresumable ?? [];
    record.servedBy = (ack as { node?: string }).node;
    record.snapshot = ack.snapshot as Snapshot[];
    for (const snap of record.snapshot) {
      // As docs/PROTOCOL.md's client: live ticks continue from the snapshot, unless ticks of
      // this connection came already (then lastSeq is theirs).
      const gotSince = this.ticks.get(snap.symbol)!.length > seenBefore.get(snap.symbol)!;
      if (!gotSince && (!this.lastSeq.has(snap.symbol) || record.unresumable.includes(snap.symbol)))
        this.lastSeq.set(snap.symbol, snap.seq);
    }
    return true;
  }

  /** Connects again (one attempt loop at a time): other nodes first, then the same one. */
  private reconnect(): Promise<void> {
    this.reconnecting ??= (async () => {
      this.socket = undefined;
      for (let round = 0; !this.closed; round++) {
        // The nodes after this one (in the targets' order), skipping `spread` of them, so
        // that the clients of a node that went away spread over the others.
        const all = this.targets();
        const i = all.findIndex((t) => t.id === this.current.id);
        const next = [...all.slice(i + 1), ...all.slice(0, i + 1)].filter((t) => t.up !== false);
        const k = next.length ? this.spread % next.length : 0;
        const order = [...next.slice(k), ...next.slice(0, k)];
        for (const target of order) {
          if (this.closed) return;
          if (await this.connectTo(target)) return;
        }
        await sleep(Math.min(1000, 100 * (round + 1)));
      }
    })().finally(() => (this.reconnecting = undefined));
    return this.reconnecting;
  }

  /** Makes the first subscribe a resume from these seqs (a client that was elsewhere before). */
  seed(lastSeq: ReadonlyMap<string, number>): void {
    for (const [symbol, seq] of lastSeq) if (this.ticks.has(symbol)) this.lastSeq.set(symbol, seq);
  }

  close(): void {
    this.closed = true;
    this.socket?.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Checks on what was recorded.

/** The fields a tick's content is compared on (all of Tick). */
export function content(t: Tick): string {
  return JSON.stringify([
    t.seq,
    t.ts,
    t.bid,
    t.ask,
    t.bidSize,
    t.askSize,
    t.last,
    t.size,
    t.volume,
  ]);
}

/**
 * Per symbol, the ticks in arrival order must rise by exactly one seq; a jump (or a step back)
 * is allowed only at a reconnect whose acknowledgement listed the symbol as unresumable.
 * Returns the violations, one line each.
 */
export function contiguityViolations(r: Recorder): string[] {
  const out: string[] = [];
  for (const [symbol, list] of r.ticks) {
    // The first tick continues the first subscribe: from its resume point (unless declared
    // unresumable), else from its snapshot.
    const firstConn = r.connections[0];
    const from = firstConn?.resume?.[symbol];
    const snap = firstConn?.snapshot.find((s) => s.symbol === symbol);
    const expected =
      from !== undefined && !firstConn.unresumable.includes(symbol) ? from : snap?.seq;
    if (
      expected !== undefined &&
      list.length &&
      list[0].conn === firstConn.conn &&
      list[0].tick.seq !== expected + 1
    ) {
      out.push(
        `${r.name} ${symbol}: first tick seq ${list[0].tick.seq}, expected ${expected + 1} ` +
          `(${from !== undefined ? `resumed from ${from}` : 'snapshot'})`,
      );
    }
    for (let i = 1; i < list.length; i++) {
      const [a, b] = [list[i - 1], list[i]];
      if (b.tick.seq === a.tick.seq + 1) continue;
      const bConn = r.connections[b.conn - 1];
      if (b.conn !== a.conn && bConn?.unresumable.includes(symbol)) continue;
      out.push(
        `${r.name} ${symbol}: seq ${a.tick.seq} (conn ${a.conn} on ${a.node}) then ${b.tick.seq} ` +
          `(conn ${b.conn} on ${b.node}, ${b.at - a.at} ms later)` +
          (b.conn !== a.conn ? ` after resume from ${JSON.stringify(bConn?.resume)}` : ''),
      );
    }
  }
  return out;
}

/**
 * The longest time a recorder went without a tick frame because of a fault at `from`: the
 * largest interval between consecutive frame arrivals, among those that end after `from` (so
 * the one spanning it included), up to the first frame carrying a tick stamped after `from`.
 * Undefined if no such frame came.
 */
export function gapAfter(
  r: Recorder,
  from: number,
): { gapMs: number; lastBefore: number; firstAfter: number; firstNewAt: number } | undefined {
  const iNew = r.frames.findIndex((f) => f.at > from && f.maxTs > from);
  if (iNew < 0) return undefined;
  let best = { gapMs: -1, lastBefore: 0, firstAfter: 0 };
  // Intervals that end after the fault, back to the one that spans it.
  for (let i = iNew; i > 0 && r.frames[i].at > from; i--) {
    const [a, b] = [r.frames[i - 1], r.frames[i]];
    if (b.at - a.at > best.gapMs) best = { gapMs: b.at - a.at, lastBefore: a.at, firstAfter: b.at };
  }
  if (best.gapMs < 0) return undefined;
  return { ...best, firstNewAt: r.frames[iNew].at };
}
