// Wires the dashboard: store <- (REST, stream); views render from the store once per animation frame.
import { INTERVALS, type Instrument, type Interval, type StreamMode } from '../../src/contracts';
import { ApiError, type MarketApi } from './api';
import { ChartPanel, type ChartNote } from './chart-panel';
import { RateLimiter, FrameScheduler } from './schedule';
import { SPARK_BUCKET_MS } from './spark';
import type { MarketStream, StreamOptions } from './socket';
import type { ConnectionState } from './connection';
import { loadPrefs, savePrefs, type PrefsStorage } from './preferences';
import type { MessageId } from './messages';
import { DashboardStore } from './store';
import { BadgeView } from './views/badge';
import { ChartView, type ChartColors } from './views/chart';
import { DetailView } from './views/detail';
import { MessageView } from './views/message';
import { SearchView } from './views/search';
import { WatchlistView } from './views/watchlist';

/** Time-driven updates (ages, stale detection, latency figure) run this often. */
const CLOCK_MS = 500;
/** A conflated stream can skip a day high or low; REST snapshots put them back this often. */
const RESYNC_MS = 30_000;
const ANNOUNCE_MS = 4_000;
const SPARK_CONCURRENCY = 3;
const DAY_MS = 86_400_000;
/** Cleared when the stream (re)connects: every error, and what the server said about the last connection. */
const CLEARED_ON_CONNECT: MessageId[] = [
  'catalog-failed',
  'stream-failed',
  'subscribe-failed',
  'quotes-failed',
  'conflated',
  'server-leaving',
];

export interface DashboardDeps {
  api: MarketApi;
  openStream(opts: StreamOptions): MarketStream;
  storage: PrefsStorage | null;
  mode: StreamMode;
  throttleMs?: number;
  locale?: string;
  timeZone?: string;
}

export interface Dashboard {
  store: DashboardStore;
  destroy(): void;
}

function byId<T extends HTMLElement>(doc: Document, id: string): T {
  const el = doc.getElementById(id);
  if (!el) throw new Error(`The page lacks #${id}`);
  return el as T;
}

function readColors(doc: Document): ChartColors {
  const css = getComputedStyle(doc.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    background: v('--panel'),
    text: v('--muted'),
    grid: v('--grid'),
    up: v('--up'),
    down: v('--down'),
    upVolume: v('--up-soft'),
    downVolume: v('--down-soft'),
  };
}

const ANNOUNCE_STATE: Partial<Record<ConnectionState, string>> = {
  live: 'Live prices.',
  resumed: 'Connection restored; prices caught up.',
  reconnecting: 'Connection lost; reconnecting. Prices shown may be out of date.',
  stale: 'Prices are stale: a busy symbol has stopped updating.',
};

export function startDashboard(doc: Document, deps: DashboardDeps): Dashboard {
  const { api, locale, timeZone } = deps;
  const win = doc.defaultView ?? window;
  const store = new DashboardStore(loadPrefs(deps.storage));
  const cleanups: Array<() => void> = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stream: MarketStream | null = null;
  let destroyed = false;

  // ---- announcements: one polite region, rate-limited so a screen reader is never flooded ----
  const liveRegion = byId(doc, 'announcer');
  const announcer = new RateLimiter(
    (text) => (liveRegion.textContent = text),
    ANNOUNCE_MS,
    () => Date.now(),
    (cb, ms) => setTimeout(cb, ms),
    (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  );
  cleanups.push(() => announcer.stop());

  // ---- views ----
  const badge = new BadgeView(byId(doc, 'badge'));
  const message = new MessageView(byId(doc, 'message'), () => retryNow());
  const detail = new DetailView(byId(doc, 'detail'), locale);
  const chartHost = byId(doc, 'chart');
  const chartNote = byId(doc, 'chart-note');
  const chartTitle = byId(doc, 'chart-title');
  const chart = new ChartView(
    chartHost,
    readColors(doc),
    () => void panel.loadOlder(),
    locale,
    timeZone,
  );
  cleanups.push(() => chart.destroy());
  const panel = new ChartPanel(chart, api, (note: ChartNote) => {
    chartNote.hidden = !note;
    chartNote.textContent = note?.text ?? '';
    chartNote.dataset.kind = note?.kind ?? '';
  });

  const actions = {
    select(symbol: string) {
      store.select(symbol);
      applySelection();
    },
    remove(symbol: string) {
      if (!store.remove(symbol)) return;
      stream?.setSymbols(store.watchlist);
      applySelection();
      announcer.say(`${symbol} removed from the watchlist.`);
    },
    add(symbol: string) {
      if (!store.add(symbol)) return;
      stream?.setSymbols(store.watchlist);
      loadSparks([symbol]);
      applySelection();
      announcer.say(`${symbol} added to the watchlist.`);
    },
    move(symbol: string, delta: number) {
      store.move(symbol, delta);
    },
    sort: (key: Parameters<DashboardStore['toggleSort']>[0]) => store.toggleSort(key),
  };

  const watchlist = new WatchlistView(byId(doc, 'watchlist'), store, actions, locale);
  cleanups.push(() => watchlist.destroy());
  const search = new SearchView(byId(doc, 'search'), {
    search: (q) => store.search(q),
    has: (s) => store.watchlist.includes(s),
    add: (s) => actions.add(s),
  });
  search.setEnabled(false);
  cleanups.push(() => search.destroy());

  // Interval switcher.
  const intervalGroup = byId(doc, 'intervals');
  intervalGroup.replaceChildren();
  const intervalButtons = new Map<Interval, HTMLButtonElement>();
  for (const iv of INTERVALS) {
    const b = doc.createElement('button');
    b.type = 'button';
    b.textContent = iv;
    b.dataset.interval = iv;
    b.addEventListener('click', () => {
      store.setInterval(iv);
      applySelection();
    });
    intervalButtons.set(iv, b);
    intervalGroup.append(b);
  }

  // ---- persistence ----
  cleanups.push(store.onPrefs((p) => savePrefs(deps.storage, p)));

  // ---- selection: chart, candle subscription, header ----
  let shown: { symbol: string | null; interval: Interval | null } = {
    symbol: null,
    interval: null,
  };
  function applySelection(): void {
    const symbol = store.selected;
    const interval = store.interval;
    const inst = symbol ? store.catalog.get(symbol) : undefined;
    for (const [iv, b] of intervalButtons) b.setAttribute('aria-pressed', String(iv === interval));
    if (!store.hasCatalog) return;
    stream?.setFocus(inst ? symbol : null);
    if (shown.symbol === (inst ? symbol : null) && shown.interval === interval) return;
    shown = { symbol: inst ? symbol : null, interval };
    if (!inst) {
      chartTitle.textContent = 'Chart';
      panel.clear();
      stream?.setCandles(null);
      return;
    }
    setTitle(inst);
    panel.show(inst, interval);
    stream?.setCandles({ symbol: inst.symbol, interval });
  }

  function setTitle(inst: Instrument): void {
    chartTitle.replaceChildren();
    const b = doc.createElement('span');
    b.className = 'title-sym';
    b.textContent = inst.symbol;
    const small = doc.createElement('small');
    small.textContent = `${inst.name} · ${inst.exchange} · ${inst.currency}`;
    chartTitle.append(b, ' ', small);
  }

  // ---- rendering ----
  let clockDue = true;
  const scheduler = new FrameScheduler(
    () => render(),
    (cb) => win.requestAnimationFrame(cb),
  );
  cleanups.push(() => scheduler.stop());
  cleanups.push(store.onChange(() => scheduler.request()));

  function render(): void {
    store.frameRendered();
    const d = store.takeDirty();
    const clock = clockDue;
    clockDue = false;
    const shownSymbols = watchlist.render(d, performance.now(), clock);
    if (shownSymbols.length) {
      // Measured when the DOM holds the new text; the browser paints right after this frame.
      const nowEpoch = performance.timeOrigin + performance.now();
      for (const s of shownSymbols) {
        const q = store.quotes.get(s);
        if (q) store.recordLatency(nowEpoch - q.ts);
      }
    }
    const sel = store.selected;
    if (clock || d.selection || d.rows || (sel !== null && d.symbols.has(sel))) {
      detail.render(
        sel ? store.quotes.get(sel) : undefined,
        sel ? store.catalog.get(sel) : undefined,
        Date.now(),
      );
    }
    if (clock || d.connection) {
      const { p50, p95 } = store.latencyStats();
      badge.render(store.connection, store.stale, p50, p95);
    }
    if (d.connection) {
      const text = ANNOUNCE_STATE[store.connection];
      if (text) announcer.say(text);
    }
    if (d.message) {
      message.render(store.message);
      if (store.message) announcer.say(store.message.text);
    }
  }

  const clock = setInterval(() => {
    clockDue = true;
    store.evaluate();
    scheduler.request();
  }, CLOCK_MS);
  cleanups.push(() => clearInterval(clock));

  // ---- theme: follows the system ----
  const media = win.matchMedia?.('(prefers-color-scheme: dark)');
  if (media) {
    const onScheme = () => chart.setColors(readColors(doc));
    media.addEventListener('change', onScheme);
    cleanups.push(() => media.removeEventListener('change', onScheme));
  }

  // "/" jumps to the add box, as on most search-first pages.
  const onSlash = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (e.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) {
      e.preventDefault();
      search.focus();
    }
  };
  doc.addEventListener('keydown', onSlash);
  cleanups.push(() => doc.removeEventListener('keydown', onSlash));

  // ---- data ----
  function later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!destroyed) fn();
    }, ms);
    timers.add(t);
  }

  let catalogAttempt = 0;
  let retryCatalog: (() => void) | null = null;
  function retryNow(): void {
    const r = retryCatalog;
    retryCatalog = null;
    r?.();
  }

  async function loadCatalog(): Promise<void> {
    try {
      const instruments = await api.instruments();
      if (destroyed) return;
      const dropped = store.setCatalog(instruments);
      store.clearMessage('catalog-failed', 'catalog-loading');
      if (dropped.length) {
        store.showMessage(
          'catalog-dropped',
          `No longer listed, removed from your watchlist: ${dropped.join(', ')}.`,
        );
      }
      search.setEnabled(true);
      applySelection();
      openStream();
      loadSparks(store.watchlist);
    } catch (err) {
      if (destroyed) return;
      catalogAttempt++;
      const wait = Math.min(30, 2 ** catalogAttempt) * 1000;
      const reason = err instanceof ApiError ? err.message : 'The instrument list failed to load.';
      store.showMessage('catalog-failed', `${reason} Retrying in ${wait / 1000} s.`, 'retry');
      let done = false;
      retryCatalog = () => {
        if (done) return;
        done = true;
        store.showMessage('catalog-loading', 'Loading the instrument list…');
        void loadCatalog();
      };
      later(() => retryNow(), wait);
    }
  }

  let disconnectedAt = 0;
  let everConnected = false;
  function openStream(): void {
    if (stream) return;
    stream = deps.openStream({
      mode: deps.mode,
      throttleMs: deps.throttleMs,
      resumePoints: () => store.resumePoints(),
      handlers: {
        connected(reconnect) {
          everConnected = true;
          store.connected(reconnect);
          store.clearMessage(...CLEARED_ON_CONNECT);
          if (reconnect) {
            // The candle stream has no resume: the open candle and anything missed come over REST.
            panel.reload();
            const now = Date.now();
            if (
              Math.floor(now / SPARK_BUCKET_MS) !== Math.floor(disconnectedAt / SPARK_BUCKET_MS)
            ) {
              loadSparks(store.watchlist);
            }
          }
        },
        disconnected() {
          disconnectedAt = Date.now();
          store.disconnected();
          store.resetLatency();
        },
        connectError(msg) {
          if (everConnected) return; // the badge already says "reconnecting"
          store.showMessage('stream-failed', `Cannot open the live stream (${msg}). Retrying…`);
        },
        snapshots(list) {
          for (const s of list) store.applySnapshot(s, true);
        },
        unresumable(symbols) {
          void reloadQuotes(symbols);
        },
        ticks(ticks) {
          store.applyTicks(ticks);
        },
        candles(list) {
          panel.live(list);
        },
        candleStatus(sel, ok, reason) {
          panel.liveStatus(sel.symbol, sel.interval, ok, reason);
        },
        notice(n) {
          switch (n.type) {
            case 'conflated':
              store.showMessage(
                'conflated',
                'The server is sending only the latest price per symbol: this connection is falling behind.',
              );
              break;
            case 'shutdown':
            case 'disconnecting':
              store.showMessage('server-leaving', `The server is restarting: ${n.message}`);
              break;
            default: {
              const _unknown: never = n;
            }
          }
        },
        synthetic() {
          store.showMessage(
            'synthetic',
            'Benchmark mode: synthetic instruments and a generated feed, not market data.',
          );
        },
        subscribeFailed(msg) {
          store.showMessage('subscribe-failed', msg);
        },
        modes(symbols, mode) {
          store.setStreamMode(symbols, mode);
        },
      },
    });
    stream.setFocus(store.selected);
    stream.setSymbols(store.watchlist);
    const sel = store.selected;
    if (sel && store.catalog.has(sel)) stream.setCandles({ symbol: sel, interval: store.interval });
  }

  async function reloadQuotes(symbols: readonly string[]): Promise<void> {
    try {
      const quotes = await api.latestQuotes(symbols);
      for (const s of quotes) store.applySnapshot(s, false);
    } catch (err) {
      store.showMessage(
        'quotes-failed',
        err instanceof ApiError
          ? `${err.message} Prices for ${symbols.join(', ')} may have missed updates.`
          : 'Could not reload quotes.',
      );
    }
  }

  if (deps.mode === 'conflated') {
    const resync = setInterval(() => {
      if (!stream?.isConnected || store.watchlist.length === 0) return;
      api.latestQuotes(store.watchlist).then(
        (quotes) => quotes.forEach((s) => store.applySnapshot(s, false)),
        () => undefined, // the next round tries again; live prices are unaffected
      );
    }, RESYNC_MS);
    cleanups.push(() => clearInterval(resync));
  }

  // Session sparklines: today's 5-minute closes, a few requests at a time.
  const sparkQueue: string[] = [];
  let sparkRunning = 0;
  function loadSparks(symbols: readonly string[]): void {
    for (const s of symbols) if (!sparkQueue.includes(s)) sparkQueue.push(s);
    while (sparkRunning < SPARK_CONCURRENCY && sparkQueue.length) void nextSpark();
  }
  async function nextSpark(): Promise<void> {
    const symbol = sparkQueue.shift();
    if (!symbol) return;
    sparkRunning++;
    try {
      const now = Date.now();
      const from = now - (now % DAY_MS);
      const candles = await api.candles(symbol, '5m', { from, limit: 288 });
      if (!destroyed && store.watchlist.includes(symbol)) {
        store.addSparkHistory(symbol, candles);
      }
    } catch {
      // The sparkline then starts from the live prices; the chart panel reports history errors.
    } finally {
      sparkRunning--;
      if (sparkQueue.length && !destroyed) void nextSpark();
    }
  }

  applySelection();
  scheduler.request();
  void loadCatalog();

  return {
    store,
    destroy() {
      destroyed = true;
      for (const t of timers) clearTimeout(t);
      stream?.close();
      for (const c of cleanups.reverse()) c();
    },
  };
}
