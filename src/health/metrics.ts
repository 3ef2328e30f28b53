// Process and streaming metrics in Prometheus format. Figures are read at scrape time from plain
// counters, so nothing on the tick path touches the registry.
import { Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

export type StatsSource = () => Record<string, number>;

/** `metrics`: ones kept by their owners (e.g. a histogram observed once per batch window). */
export function createRegistry(
  sources: Record<string, StatsSource>,
  metrics: readonly Metric[] = [],
): Registry {
  const registry = new Registry();
  for (const metric of metrics) registry.registerMetric(metric);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  for (const [prefix, source] of Object.entries(sources)) {
    for (const key of Object.keys(source())) {
      new Gauge({
        name: `tickerboard_${prefix}_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
        help: `${prefix} ${key}`,
        registers: [registry],
        collect() {
          this.set(source()[key] ?? 0);
        },
      });
    }
  }
  return registry;
}
