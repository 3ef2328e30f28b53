// Loads the instrument list, retrying with backoff (and on demand) until it arrives; a refused key
// is not retried blindly: the next attempt waits for a new key (retryNow()).
import { ApiError, type MarketApi } from './api';
import { AUTH_REQUIRED_TEXT } from './auth';
import type { Lifetime } from './lifetime';
import type { DashboardStore } from './store';

/** Waits between attempts double up to this many seconds. */
const MAX_WAIT_S = 30;

export class CatalogLoader {
  private attempt = 0;
  private pendingRetry: (() => void) | null = null;

  constructor(
    private readonly api: Pick<MarketApi, 'instruments'>,
    private readonly store: DashboardStore,
    private readonly life: Lifetime,
    /** The catalog is in the store. */
    private readonly loaded: () => void,
  ) {}

  start(): void {
    void this.load();
  }

  /** The message bar's "Retry now": the scheduled retry, at once. */
  retryNow(): void {
    const r = this.pendingRetry;
    this.pendingRetry = null;
    r?.();
  }

  private async load(): Promise<void> {
    const { store } = this;
    try {
      const instruments = await this.api.instruments();
      if (this.life.destroyed) return;
      const dropped = store.setCatalog(instruments);
      store.clearMessage('catalog-failed', 'catalog-loading', 'auth-required');
      if (dropped.length) {
        store.showMessage(
          'catalog-dropped',
          `No longer listed, removed from your watchlist: ${dropped.join(', ')}.`,
        );
      }
      this.loaded();
    } catch (err) {
      if (this.life.destroyed) return;
      let done = false;
      const retry = () => {
        if (done) return;
        done = true;
        store.showMessage('catalog-loading', 'Loading the instrument list…');
        void this.load();
      };
      this.pendingRetry = retry;
      if (err instanceof ApiError && err.unauthorized) {
        // The same request would be refused again: wait for the key prompt's answer.
        store.showMessage('auth-required', AUTH_REQUIRED_TEXT);
        return;
      }
      this.attempt++;
      const wait = Math.min(MAX_WAIT_S, 2 ** this.attempt) * 1000;
      const reason = err instanceof ApiError ? err.message : 'The instrument list failed to load.';
      store.showMessage('catalog-failed', `${reason} Retrying in ${wait / 1000} s.`, 'retry');
      // This failure's own retry: an earlier timer cannot fire a later, refused one.
      this.life.later(retry, wait);
    }
  }
}
