// Entry point: real REST, real stream, the browser's storage, locale and time zone.
import { createApi } from './api';
import { startDashboard } from './app';
import { createStream } from './socket';

const params = new URLSearchParams(location.search);
// The watchlist takes the conflated stream; ?stream=full asks for every tick (and gap checks).
const mode = params.get('stream') === 'full' ? 'full' : 'conflated';

const dashboard = startDashboard(document, {
  api: createApi('/api'),
  openStream: createStream,
  storage: (() => {
    try {
      return window.localStorage;
    } catch {
      return null;
    }
  })(),
  mode,
  throttleMs: 100,
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
