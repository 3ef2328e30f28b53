// One animation frame: each view redraws what changed since the last, and the frame measures
// tick-to-screen latency for the prices it put on screen.
import type { Announcer } from './announcer';
import type { ConnectionState } from './connection';
import type { DashboardStore } from './store';
import type { BadgeView } from './views/badge';
import type { DetailView } from './views/detail';
import type { MessageView } from './views/message';
import type { WatchlistView } from './views/watchlist';

export interface FrameViews {
  watchlist: WatchlistView;
  detail: DetailView;
  badge: BadgeView;
  message: MessageView;
}

export class DashboardFrame {
  /** Time-driven figures (ages, the latency figure, stale rows) are due. */
  private clockDue = true;
  /** The connection state last announced: a new node or pause reason is not a new state. */
  private announced: ConnectionState | null = null;

  constructor(
    private readonly store: DashboardStore,
    private readonly views: FrameViews,
    private readonly announcer: Announcer,
  ) {}

  /** The next frame redraws the time-driven figures too. */
  clockTick(): void {
    this.clockDue = true;
  }

  render(): void {
    const { store, views, announcer } = this;
    store.frameRendered();
    const d = store.takeDirty();
    const clock = this.clockDue;
    this.clockDue = false;
    const shownSymbols = views.watchlist.render(d, performance.now(), clock);
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
      views.detail.render(
        sel ? store.quotes.get(sel) : undefined,
        sel ? store.catalog.get(sel) : undefined,
        Date.now(),
      );
    }
    if (clock || d.connection) {
      const { p50, p95 } = store.latencyStats();
      views.badge.render(
        {
          state: store.connection,
          stale: store.stale,
          node: store.node,
          pauseMessage: store.pauseMessage,
        },
        p50,
        p95,
      );
    }
    if (d.connection && store.connection !== this.announced) {
      this.announced = store.connection;
      announcer.connection(store.connection);
    }
    if (d.message) {
      views.message.render(store.message);
      if (store.message) announcer.say(store.message.text);
    }
  }
}
