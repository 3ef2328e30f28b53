// Where the trader's API key is kept: sessionStorage, so it lasts while the tab does and goes
// with it. Never localStorage (it would outlive the session) and never the URL (it would land in
// history, logs and Referer headers).

/** The sessionStorage key the API key lives under. */
export const KEY_STORAGE_KEY = 'tickerboard.apiKey';

/** The part of Storage this needs: sessionStorage in the page, a Map in tests. */
export interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class KeyStore {
  /** Held in memory too: storage can refuse writes (a full quota, a locked-down browser). */
  private key: string | null;

  constructor(private readonly storage: KeyStorage | null) {
    let stored: string | null = null;
    try {
      stored = storage?.getItem(KEY_STORAGE_KEY) ?? null;
    } catch {
      // Storage that cannot be read holds nothing for us.
    }
    this.key = stored && stored.trim() ? stored.trim() : null;
  }

  get(): string | null {
    return this.key;
  }

  /** Keeps `key` (trimmed) for the session; a blank key is forgotten instead. */
  set(key: string): void {
    const k = key.trim();
    if (!k) return this.forget();
    this.key = k;
    try {
      this.storage?.setItem(KEY_STORAGE_KEY, k);
    } catch {
      // Kept in memory for this page only.
    }
  }

  forget(): void {
    this.key = null;
    try {
      this.storage?.removeItem(KEY_STORAGE_KEY);
    } catch {
      // Nothing more can be done; the page no longer sends it.
    }
  }
}
