// The message bar's one message, known by id: shown, replaced and cleared by what it is about,
// never by its wording.
import type { ChangeTracker } from './changes';

/** Every message the dashboard shows, with its kind. */
const KINDS = {
  /** The instrument list failed to load; a retry is scheduled and offered. */
  'catalog-failed': 'error',
  'catalog-loading': 'info',
  /** Saved watchlist symbols the catalog no longer lists. */
  'catalog-dropped': 'info',
  /** The server wants an API key (or refused the one sent): the key prompt asks for it. */
  'auth-required': 'error',
  /** The stream could not be opened before it ever connected. */
  'stream-failed': 'error',
  'subscribe-failed': 'error',
  /** A REST reload of quotes after an unresumable reconnect failed. */
  'quotes-failed': 'error',
  /** The server conflated this connection (it was falling behind). */
  conflated: 'info',
  /** The server is restarting or closing this connection. */
  'server-leaving': 'info',
  /** Cluster mode: the server's tick stream stopped for a while (the badge reads "paused"). */
  stalled: 'info',
  /** Benchmark mode: synthetic instruments and feed. */
  synthetic: 'info',
} as const satisfies Record<string, 'error' | 'info'>;

export type MessageId = keyof typeof KINDS;
export type MessageKind = (typeof KINDS)[MessageId];

export interface Message {
  id: MessageId;
  kind: MessageKind;
  text: string;
  /** Offered as a button when set. */
  action?: 'retry';
}

export function kindOf(id: MessageId): MessageKind {
  return KINDS[id];
}

export class MessageBar {
  private msg: Message | null = null;

  constructor(private readonly changes: ChangeTracker) {}

  get current(): Message | null {
    return this.msg;
  }

  /** Shows `text` as message `id`, replacing whatever the bar held. */
  show(id: MessageId, text: string, action?: 'retry'): void {
    const cur = this.msg;
    if (cur && cur.id === id && cur.text === text && cur.action === action) return;
    this.msg = action ? { id, kind: KINDS[id], text, action } : { id, kind: KINDS[id], text };
    this.changed();
  }

  /** Clears the bar if it holds one of `ids`. */
  clear(...ids: MessageId[]): void {
    if (!this.msg || !ids.includes(this.msg.id)) return;
    this.msg = null;
    this.changed();
  }

  private changed(): void {
    this.changes.message();
    this.changes.notify();
  }
}
