// Process plumbing shared by the harnesses: pinned process groups, /proc accounting, ports, machine line.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus } from 'node:os';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

export interface Pinned {
  child: ChildProcess;
  pid: number;
  /** Last lines of stdout and stderr, for error reports. */
  output(): string;
  exited: Promise<number | null>;
}

const live = new Set<number>();

/** Kills every process group this harness started; installed once, also on Ctrl-C. */
function killAll(): void {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Starts `node <args>` on one core in its own process group, with an IPC channel. taskset execs
 * node, so the pid is node's own and /proc accounting covers exactly the measured process.
 */
export function spawnPinned(
  core: number,
  nodeArgs: string[],
  env: Record<string, string>,
  cwd = process.cwd(),
): Pinned {
  const child = spawn('taskset', ['-c', String(core), process.execPath, ...nodeArgs], {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  if (child.pid === undefined) throw new Error(`could not start node ${nodeArgs.join(' ')}`);
  const pid = child.pid;
  live.add(pid);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(pid);
      tail += `\n[exited with ${signal ?? `code ${code}`}]`;
      resolve(code);
    }),
  );
  return { child, pid, output: () => tail, exited };
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopGroup(p: Pinned, graceMs = 2000): Promise<void> {
  if (!live.has(p.pid)) return;
  try {
    process.kill(-p.pid, 'SIGTERM');
  } catch {
    live.delete(p.pid);
    return;
  }
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  if ((await Promise.race([p.exited, timer])) === 'timeout') {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    await p.exited;
  }
}

/** Pins this process (all its threads) to one core. */
export function pinSelf(core: number): void {
  spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

/** utime + stime of a process in microseconds (resolution 1/CLK_TCK s). */
export function procCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / CLK_TCK;
}

/** Of procCpuMicros, the part spent in the kernel (stime): for the servers, mostly socket writes. */
export function procSysMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[12]) * 1e6) / CLK_TCK;
}

/** Resident set size in bytes (VmRSS). */
export function procRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

export { freePort } from './ports';

export async function waitForPort(port: number, timeoutMs: number, p?: Pinned): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (p && !live.has(p.pid)) throw new Error(`server exited before listening:\n${p.output()}`);
    if (Date.now() > until)
      throw new Error(`nothing listened on ${port} within ${timeoutMs} ms\n${p?.output() ?? ''}`);
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function loadavg1(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** The line every results section opens with. */
export function machineLine(): string {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus().length} cores (${model}), Node ${process.version}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, loadavg before the run ${load}`;
}

export function isNoisy(): boolean {
  return loadavg1() > 1.5;
}
