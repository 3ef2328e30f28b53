// Entry point: real REST, real stream, the browser's storage, locale and time zone.
import { createApi } from './api';
import { startDashboard } from './app';
import { AuthGate } from './auth';
import { KeyStore } from './key-store';
import { PREFS_KEY } from './preferences';
import { createStream } from './socket';

const params = new URLSearchParams(location.search);
// The watchlist takes the conflated stream; ?stream=full asks for every tick (and gap checks).
const mode = params.get('stream') === 'full' ? 'full' : 'conflated';

// ?bench=N swaps the server for N synthetic instruments at ?rate= ticks/s (a separate chunk,
// loaded only then), to measure this browser at sizes the real catalog does not reach.
const bench = Math.min(Number(params.get('bench')) || 0, 1000);
const THROTTLE_MS = 100;
const deps = bench > 0 ? await benchDeps(bench, Number(params.get('rate')) || 2000) : null;

async function benchDeps(count: number, rate: number) {
  const { synthetic } = await import('./bench/synthetic');
  // Conflated like the server's stream unless ?stream=full asks for every tick.
  const syn = synthetic(count, rate, mode === 'full' ? 0 : THROTTLE_MS);
  const prefs = JSON.stringify({ watchlist: syn.symbols, selected: syn.symbols[0] });
  // Its own throwaway storage: the trader's saved watchlist is left alone.
  const memory = new Map<string, string>([[PREFS_KEY, prefs]]);
  return {
    api: syn.api,
    openStream: syn.openStream,
    storage: { getItem: (k: string) => memory.get(k) ?? null, setItem: memory.set.bind(memory) },
  };
}

// The API key lives in sessionStorage: this tab, this session, never the URL.
const auth = new AuthGate(
  new KeyStore(
    (() => {
      try {
        return window.sessionStorage;
      } catch {
        return null;
      }
    })(),
  ),
);

const dashboard = startDashboard(document, {
  api: deps?.api ?? createApi('/api', fetch.bind(globalThis), auth),
  openStream: deps?.openStream ?? createStream,
  storage:
    deps?.storage ??
    (() => {
      try {
        return window.localStorage;
      } catch {
        return null;
      }
    })(),
  // Benchmark mode has no server to ask for a key.
  auth: deps ? undefined : auth,
  mode,
  throttleMs: THROTTLE_MS,
  locale: navigator.language,
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
});

// For support and the browser tests: counters, not controls.
Object.defineProperty(window, 'tickerboard', {
  value: {
    stats: () => ({
      ...dashboard.store.stats,
      connection: dashboard.store.connection,
      latency: dashboard.store.latencyStats(),
      watchlist: [...dashboard.store.watchlist],
    }),
  },
});
