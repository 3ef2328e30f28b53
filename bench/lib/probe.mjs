// Preloaded (--import) into every measured server, Tickerboard included, so that all four report heap
// and event-loop delay the same way without code in the app. It talks only over the IPC channel the
// harness opens, and ends the server if the harness goes away.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

if (process.send) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  // GC pauses since the last reset: the stalls an aged server shows come from here or not.
  const gc = { count: 0, ms: 0, maxMs: 0, over30: 0, major: 0, majorMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      if (e.duration > gc.maxMs) gc.maxMs = e.duration;
      if (e.duration > 30) gc.over30++;
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.major++;
        gc.majorMs += e.duration;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  // BENCH_CPU_PROFILE=<dir>: a CPU profile of every window between two resets, written there as
  // <pid>-<n>.cpuprofile (Chrome DevTools' format), to see what an event-loop stall was made of.
  const profileDir = process.env.BENCH_CPU_PROFILE;
  let profiler;
  let profiles = 0;
  if (profileDir) {
    profiler = new Session();
    profiler.connect();
    profiler.post('Profiler.enable');
    profiler.post('Profiler.setSamplingInterval', { interval: 500 });
    profiler.post('Profiler.start');
  }
  const nextProfile = () =>
    profiler.post('Profiler.stop', (err, res) => {
      if (!err)
        writeFileSync(
          join(profileDir, `${process.pid}-${++profiles}.cpuprofile`),
          JSON.stringify(res.profile),
        );
      profiler.post('Profiler.start');
    });
  process.on('message', (msg) => {
    if (!msg || msg.probe !== true) return;
    if (msg.gc && typeof globalThis.gc === 'function') globalThis.gc();
    const mem = process.memoryUsage();
    process.send({
      probe: true,
      id: msg.id,
      heapUsed: mem.heapUsed,
      rss: mem.rss,
      external: mem.external,
      eldP99Ms: eld.count ? eld.percentile(99) / 1e6 : 0,
      eldMaxMs: eld.count ? eld.max / 1e6 : 0,
      gc: { ...gc },
    });
    if (msg.reset) {
      if (profiler) nextProfile();
      eld.reset();
      Object.assign(gc, { count: 0, ms: 0, maxMs: 0, over30: 0, major: 0, majorMs: 0 });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.channel?.unref();
}
