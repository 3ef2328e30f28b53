// Whether the server wants a key, and what the key prompt should say: asks when a request without
// a key is refused, says "not accepted" when the key sent was refused, settles when one is answered.
// No DOM; REST (api.ts) and the stream (socket.ts) report each answer here.
import type { KeyStore } from './key-store';

/** What REST and the stream need: the key to send, and the server's verdict on it. */
export interface Credentials {
  /** The key to send now, or null; read at every request and every (re)connect. */
  token(): string | null;
  /** The server answered a request made with `token` (anything but a 401). */
  accepted(token: string | null): void;
  /** The server refused a request made with `token` (401 UNAUTHORIZED, or the socket's connect_error). */
  rejected(token: string | null): void;
}

/** The message bar's words while the server waits for a key. */
export const AUTH_REQUIRED_TEXT = 'This server needs an API key to show market data.';

/**
 * - `open`: nothing asked for (a public server, or the key was accepted);
 * - `asking`: the server refused a request sent without a key;
 * - `checking`: a key was entered and nothing has answered it yet;
 * - `refused`: the key sent was refused (it is forgotten).
 */
export type AuthState = 'open' | 'asking' | 'checking' | 'refused';

export interface AuthView {
  state: AuthState;
  /** The trader closed the prompt (Escape) without a key; it reopens on request. */
  dismissed: boolean;
  /** A key is stored for this session (it can be forgotten). */
  hasKey: boolean;
}

export class AuthGate implements Credentials {
  private current: AuthState = 'open';
  private closed = false;
  private readonly changeListeners = new Set<() => void>();
  private readonly keyListeners = new Set<() => void>();

  constructor(private readonly keys: KeyStore) {}

  get view(): AuthView {
    return { state: this.current, dismissed: this.closed, hasKey: this.keys.get() !== null };
  }

  /** The prompt should be on screen. */
  get prompting(): boolean {
    return this.current !== 'open' && !this.closed;
  }

  token(): string | null {
    return this.keys.get();
  }

  accepted(token: string | null): void {
    // An answer to an earlier key says nothing about the one held now.
    if (token !== this.keys.get() || this.current === 'open') return;
    this.current = 'open';
    this.closed = false;
    this.changed();
  }

  rejected(token: string | null): void {
    if (token !== this.keys.get()) return;
    const wasChecking = this.current === 'checking';
    if (token !== null) {
      // Known bad: sending it again would only be refused again.
      this.keys.forget();
      this.current = 'refused';
    } else if (this.current !== 'refused') {
      this.current = 'asking';
    } else {
      return; // already saying the last key was refused
    }
    // The trader is waiting on the key just entered: show the verdict even if the prompt was closed.
    if (wasChecking) this.closed = false;
    this.changed();
  }

  /** Keeps `key` for the session and tells the page to retry what was refused. False if blank. */
  submit(key: string): boolean {
    if (!key.trim()) return false;
    this.keys.set(key);
    this.current = 'checking';
    this.closed = false;
    this.changed();
    for (const l of this.keyListeners) l();
    return true;
  }

  /** The trader closed the prompt without a key: the page stays as it is, the prompt can reopen. */
  dismiss(): void {
    if (this.closed || this.current === 'open') return;
    this.closed = true;
    this.changed();
  }

  reopen(): void {
    if (!this.closed) return;
    this.closed = false;
    this.changed();
  }

  /** Drops the stored key. */
  forget(): void {
    this.keys.forget();
    this.changed();
  }

  /** Called whenever what the prompt shows changes; returns its unsubscribe. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Called when a new key has been entered (to retry what the server refused); returns its unsubscribe. */
  onKey(listener: () => void): () => void {
    this.keyListeners.add(listener);
    return () => this.keyListeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.changeListeners) l();
  }
}
