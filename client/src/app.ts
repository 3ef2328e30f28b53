// Wires the dashboard: store <- (REST, stream); views render from the store once per animation frame.
import type { StreamMode } from '../../src/contracts';
import type { MarketApi } from './api';
import { Announcer } from './announcer';
import type { AuthGate } from './auth';
import { CatalogLoader } from './catalog-loader';
import { ChartPanel, type ChartNote } from './chart-panel';
import { ChartSelection } from './chart-selection';
import { DashboardFrame } from './frame';
import { Lifetime } from './lifetime';
import { LiveFeed } from './live-feed';
import { loadPrefs, savePrefs, type PrefsStorage, type SortKey } from './preferences';
import { FrameScheduler } from './schedule';
import type { MarketStream, StreamOptions } from './socket';
import { SparkLoader } from './spark-loader';
import { DashboardStore } from './store';
import { onSchemeChange, readColors } from './theme';
import { BadgeView } from './views/badge';
import { ChartView } from './views/chart';
import { ChartTitleView } from './views/chart-title';
import { DetailView } from './views/detail';
import { IntervalPicker } from './views/interval-picker';
import { KeyPromptView } from './views/key-prompt';
import { MessageView } from './views/message';
import { SearchView } from './views/search';
import { WatchlistView } from './views/watchlist';

/** Time-driven updates (ages, stale detection, latency figure) run this often. */
const CLOCK_MS = 500;

export interface DashboardDeps {
  api: MarketApi;
  openStream(opts: StreamOptions): MarketStream;
  storage: PrefsStorage | null;
  mode: StreamMode;
  throttleMs?: number;
  locale?: string;
  timeZone?: string;
  /** Whether the server wants a key and which one to send; the same one `api` was given. */
  auth?: AuthGate;
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

export function startDashboard(doc: Document, deps: DashboardDeps): Dashboard {
  const { api, locale, timeZone } = deps;
  const win = doc.defaultView ?? window;
  const store = new DashboardStore(loadPrefs(deps.storage));
  const life = new Lifetime();

  const announcer = new Announcer(byId(doc, 'announcer'));
  life.add(() => announcer.stop());

  // ---- chart ----
  const chartNote = byId(doc, 'chart-note');
  const chart = new ChartView(
    byId(doc, 'chart'),
    readColors(doc),
    () => void panel.loadOlder(),
    locale,
    timeZone,
  );
  life.add(() => chart.destroy());
  const panel = new ChartPanel(chart, api, (note: ChartNote) => {
    chartNote.hidden = !note;
    chartNote.textContent = note?.text ?? '';
    chartNote.dataset.kind = note?.kind ?? '';
  });

  // ---- data sources ----
  const sparks = new SparkLoader(api, store, life);
  const feed = new LiveFeed({
    openStream: deps.openStream,
    mode: deps.mode,
    throttleMs: deps.throttleMs,
    api,
    store,
    panel,
    sparks,
    life,
    credentials: deps.auth,
  });
  const catalog = new CatalogLoader(api, store, life, () => {
    search.setEnabled(true);
    selection.apply();
    feed.open();
    sparks.load(store.watchlist);
  });

  // ---- views and what the trader can do in them ----
  const actions = {
    select(symbol: string) {
      store.select(symbol);
      selection.apply();
    },
    remove(symbol: string) {
      if (!store.remove(symbol)) return;
      feed.setSymbols(store.watchlist);
      selection.apply();
      announcer.say(`${symbol} removed from the watchlist.`);
    },
    add(symbol: string) {
      if (!store.add(symbol)) return;
      feed.setSymbols(store.watchlist);
      sparks.load([symbol]);
      selection.apply();
      announcer.say(`${symbol} added to the watchlist.`);
    },
    move(symbol: string, delta: number) {
      store.move(symbol, delta);
    },
    sort: (key: SortKey) => store.toggleSort(key),
  };

  const badge = new BadgeView(byId(doc, 'badge'));
  const message = new MessageView(byId(doc, 'message'), () => catalog.retryNow());
  const detail = new DetailView(byId(doc, 'detail'), locale);
  const watchlist = new WatchlistView(byId(doc, 'watchlist'), store, actions, locale);
  life.add(() => watchlist.destroy());
  const search = new SearchView(byId(doc, 'search'), {
    search: (q) => store.search(q),
    has: (s) => store.watchlist.includes(s),
    add: (s) => actions.add(s),
  });
  search.setEnabled(false);
  life.add(() => search.destroy());
  const picker = new IntervalPicker(byId(doc, 'intervals'), (iv) => {
    store.setInterval(iv);
    selection.apply();
  });
  const selection = new ChartSelection({
    store,
    panel,
    feed,
    title: new ChartTitleView(byId(doc, 'chart-title')),
    picker,
  });

  life.add(store.onPrefs((p) => savePrefs(deps.storage, p)));

  // ---- the API key, when the server asks for one ----
  const auth = deps.auth;
  if (auth) {
    const prompt = new KeyPromptView(byId(doc, 'key-prompt'), byId(doc, 'key-box'), {
      submit: (key) => auth.submit(key),
      dismiss: () => auth.dismiss(),
      reopen: () => auth.reopen(),
      forget: () => {
        auth.forget();
        // A fresh page: nothing keeps streaming on the forgotten key, and the server asks again.
        win.location.reload();
      },
    });
    life.add(() => prompt.destroy());
    // Rendered on change, not per frame: it changes a few times a session, never per tick.
    prompt.render(auth.view);
    life.add(auth.onChange(() => prompt.render(auth.view)));
    // A new key: retry what the server refused, each the way it would retry anyway.
    life.add(
      auth.onKey(() => {
        catalog.retryNow();
        feed.reconnect();
        panel.reload();
        if (store.hasCatalog) sparks.load(store.watchlist);
      }),
    );
  }

  // ---- rendering: at most once per animation frame ----
  const frame = new DashboardFrame(store, { watchlist, detail, badge, message }, announcer);
  const scheduler = new FrameScheduler(
    () => frame.render(),
    (cb) => win.requestAnimationFrame(cb),
  );
  life.add(() => scheduler.stop());
  life.add(store.onChange(() => scheduler.request()));
  life.every(() => {
    frame.clockTick();
    store.evaluate();
    scheduler.request();
  }, CLOCK_MS);

  // The chart follows the system's colour scheme.
  life.add(onSchemeChange(doc, (colors) => chart.setColors(colors)));

  // "/" jumps to the add box, as on most search-first pages.
  const onSlash = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (e.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) {
      e.preventDefault();
      search.focus();
    }
  };
  doc.addEventListener('keydown', onSlash);
  life.add(() => doc.removeEventListener('keydown', onSlash));

  selection.apply();
  scheduler.request();
  catalog.start();

  return {
    store,
    destroy: () => life.destroy(),
  };
}
