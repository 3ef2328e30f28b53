// The live stream as the dashboard uses it: opens it once the catalog is in, feeds the store and
// the chart from it, says what the server says, and patches what a reconnect or conflation lost.
import { bucketStart, type Notice, type StreamMode } from '../../src/contracts';
import { ApiError, type MarketApi } from './api';
import { AUTH_REQUIRED_TEXT, type Credentials } from './auth';
import type { ChartPanel } from './chart-panel';
import type { Lifetime } from './lifetime';
import type { MessageId } from './messages';
import type { CandleSelection, MarketStream, StreamHandlers, StreamOptions } from './socket';
import { SPARK_INTERVAL } from './spark';
import type { SparkLoader } from './spark-loader';
import type { DashboardStore } from './store';

/** A conflated stream can skip a day high or low; REST snapshots put them back this often. */
const RESYNC_MS = 30_000;

/** Cleared when the stream (re)connects: every error, and what the server said about the last connection. */
const CLEARED_ON_CONNECT: MessageId[] = [
  'catalog-failed',
  'auth-required',
  'stream-failed',
  'subscribe-failed',
  'quotes-failed',
  'conflated',
  'server-leaving',
  'stalled',
];

/** Said when a `stalled` notice comes without a message of its own. */
const STALLED_FALLBACK = 'The server has stopped sending prices for now.';

export interface LiveFeedDeps {
  openStream(opts: StreamOptions): MarketStream;
  mode: StreamMode;
  throttleMs?: number;
  api: Pick<MarketApi, 'latestQuotes'>;
  store: DashboardStore;
  panel: Pick<ChartPanel, 'reload' | 'live' | 'liveStatus'>;
  sparks: Pick<SparkLoader, 'load'>;
  life: Lifetime;
  /** The key for the stream's handshake, and where its verdict goes. */
  credentials?: Credentials;
}

export class LiveFeed {
  private stream: MarketStream | null = null;
  private disconnectedAt = 0;
  private everConnected = false;

  constructor(private readonly deps: LiveFeedDeps) {
    if (deps.mode === 'conflated') deps.life.every(() => this.resync(), RESYNC_MS);
  }

  /** Opens the stream (once) on the store's watchlist, selection and interval. */
  open(): void {
    if (this.stream) return;
    const { store } = this.deps;
    const stream = this.deps.openStream({
      mode: this.deps.mode,
      throttleMs: this.deps.throttleMs,
      resumePoints: () => store.resumePoints(),
      handlers: this.handlers(),
      credentials: this.deps.credentials,
    });
    this.stream = stream;
    this.deps.life.add(() => stream.close());
    stream.setFocus(store.selected);
    stream.setSymbols(store.watchlist);
    const sel = store.selected;
    if (sel && store.catalog.has(sel)) stream.setCandles({ symbol: sel, interval: store.interval });
  }

  setSymbols(symbols: readonly string[]): void {
    this.stream?.setSymbols(symbols);
  }

  setFocus(symbol: string | null): void {
    this.stream?.setFocus(symbol);
  }

  setCandles(sel: CandleSelection | null): void {
    this.stream?.setCandles(sel);
  }

  /**
   * A new key was entered: a stream that gave up on a refused key connects again with it (its
   * acknowledgements bring fresh snapshots); a stream still up has its quotes reloaded over REST.
   */
  reconnect(): void {
    this.stream?.reconnect();
    this.resync();
  }

  private handlers(): StreamHandlers {
    const { store, panel, sparks } = this.deps;
    return {
      connected: (reconnect) => {
        this.everConnected = true;
        store.connected(reconnect);
        store.clearMessage(...CLEARED_ON_CONNECT);
        if (reconnect) {
          // The candle stream has no resume: the open candle and anything missed come over REST.
          panel.reload();
          const now = Date.now();
          if (
            bucketStart(now, SPARK_INTERVAL) !== bucketStart(this.disconnectedAt, SPARK_INTERVAL)
          ) {
            sparks.load(store.watchlist);
          }
        }
      },
      disconnected: () => {
        this.disconnectedAt = Date.now();
        store.disconnected();
        store.resetLatency();
      },
      connectError: (msg) => {
        if (this.everConnected) return; // the badge already says "reconnecting"
        store.showMessage('stream-failed', `Cannot open the live stream (${msg}). Retrying…`);
      },
      // Not retried: the stream waits for reconnect(), which a new key brings.
      unauthorized: () => store.showMessage('auth-required', AUTH_REQUIRED_TEXT),
      snapshots: (list) => {
        for (const s of list) store.applySnapshot(s, true);
      },
      unresumable: (symbols) => void this.reloadQuotes(symbols),
      node: (node) => store.servedBy(node),
      ticks: (ticks) => store.applyTicks(ticks),
      candles: (list) => panel.live(list),
      candleStatus: (sel, ok, reason) => panel.liveStatus(sel.symbol, sel.interval, ok, reason),
      notice: (n) => this.notice(n),
      synthetic: () =>
        store.showMessage(
          'synthetic',
          'Benchmark mode: synthetic instruments and a generated feed, not market data.',
        ),
      subscribeFailed: (msg) => store.showMessage('subscribe-failed', msg),
      modes: (symbols, mode) => store.setStreamMode(symbols, mode),
    };
  }

  private notice(n: Notice): void {
    const { store } = this.deps;
    // The server may be newer than this page: a notice type not listed here is ignored.
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
      case 'stalled': {
        // Not a disconnect: the socket and its subscriptions stay; the badge reads "paused".
        const text = typeof n.message === 'string' && n.message.trim() ? n.message.trim() : '';
        store.stalled(text || STALLED_FALLBACK);
        store.showMessage('stalled', `Prices paused: ${text || STALLED_FALLBACK}`);
        break;
      }
      case 'recovered':
        store.recovered();
        store.clearMessage('stalled');
        break;
      default: {
        const _unknown: never = n;
      }
    }
  }

  private async reloadQuotes(symbols: readonly string[]): Promise<void> {
    const { api, store } = this.deps;
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

  private resync(): void {
    const { api, store } = this.deps;
    if (!this.stream?.isConnected || store.watchlist.length === 0) return;
    api.latestQuotes(store.watchlist).then(
      (quotes) => quotes.forEach((s) => store.applySnapshot(s, false)),
      () => undefined, // the next round tries again; live prices are unaffected
    );
  }
}
