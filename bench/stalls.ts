// What an event-loop stall was made of: the long busy runs in a CPU profile written with
// BENCH_CPU_PROFILE (bench/lib/probe.mjs), each with its self time by function and the entry
// frames it ran under. A run is a stretch with no idle sample: one long task, or several tasks
// back to back (the loop's delay histogram tells which; this tells what they were). `npm run bench:stalls -- --profiles=<a.cpuprofile,...> [--min-ms=40] [--top=6]`.
import { readFileSync } from 'node:fs';
import { harnessFlags } from './lib/args';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const flags = harnessFlags('bench:stalls', {
  profiles: 'list',
  'min-ms': 'number',
  top: 'number',
});
const files = flags.profiles ?? [];
if (!files.length) {
  process.stderr.write('bench:stalls: --profiles=<a.cpuprofile,...> is required\n');
  process.exit(2);
}
const MIN_MS = flags['min-ms'] ?? 40;
const TOP = flags.top ?? 6;

function label(f: CallFrame): string {
  const file = f.url.split('/').pop();
  return file ? `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}` : f.functionName;
}

function percent(n: number, of: number): string {
  return `${((n * 100) / of).toFixed(1).padStart(5)} %`;
}

for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const entry = (id: number): string => {
    const path: number[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) path.push(at);
    return path
      .reverse()
      .slice(1, 4)
      .map((x) => label(byId.get(x)!.callFrame))
      .join(' > ');
  };
  const times: number[] = [];
  let t = p.startTime;
  for (const d of p.timeDeltas) times.push((t += d));
  const idle = new Set(
    p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id),
  );
  // Runs of samples with no idle one between them: the loop did not wait for I/O in there.
  const runs: Array<{ from: number; to: number; ms: number }> = [];
  let from = -1;
  for (let i = 0; i <= p.samples.length; i++) {
    const busy = i < p.samples.length && !idle.has(p.samples[i]);
    if (busy && from < 0) from = i;
    if (!busy && from >= 0) {
      const ms = (times[i - 1] - times[from]) / 1000;
      if (ms >= MIN_MS) runs.push({ from, to: i, ms });
      from = -1;
    }
  }
  const busy = p.samples.filter((s) => !idle.has(s)).length;
  const seconds = (times[times.length - 1] - times[0]) / 1e6;
  console.log(
    `${file}: ${seconds.toFixed(1)} s, busy in ${percent(busy, p.samples.length).trim()} of samples, ${runs.length} busy runs of ${MIN_MS} ms or more`,
  );
  for (const run of runs.sort((a, b) => b.ms - a.ms).slice(0, TOP)) {
    const self = new Map<string, number>();
    const entries = new Map<string, number>();
    for (let i = run.from; i < run.to; i++) {
      const id = p.samples[i];
      const name = label(byId.get(id)!.callFrame);
      self.set(name, (self.get(name) ?? 0) + 1);
      const e = entry(id);
      entries.set(e, (entries.get(e) ?? 0) + 1);
    }
    const n = run.to - run.from;
    const at = ((times[run.from] - times[0]) / 1e6).toFixed(2);
    console.log(`\n  run at ${at} s: ${run.ms.toFixed(1)} ms, ${n} samples`);
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 8))
      console.log(`    self  ${percent(v, n)}  ${k}`);
    for (const [k, v] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, 4))
      console.log(`    under ${percent(v, n)}  ${k}`);
  }
}
