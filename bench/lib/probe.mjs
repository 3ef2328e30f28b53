// Preloaded (--import) into every measured server, Tickerboard included, so that all four report heap
// and event-loop delay the same way without code in the app. It talks only over the IPC channel the
// harness opens, and ends the server if the harness goes away.
import { monitorEventLoopDelay } from 'node:perf_hooks';

if (process.send) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
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
    });
    if (msg.reset) eld.reset();
  });
  process.on('disconnect', () => process.exit(0));
  process.channel?.unref();
}
