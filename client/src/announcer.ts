// One polite live region, rate-limited so a screen reader is never flooded.
import type { ConnectionState } from './connection';
import { RateLimiter } from './schedule';

const ANNOUNCE_MS = 4_000;

const STATE_TEXT: Partial<Record<ConnectionState, string>> = {
  live: 'Live prices.',
  resumed: 'Connection restored; prices caught up.',
  reconnecting: 'Connection lost; reconnecting. Prices shown may be out of date.',
  stale: 'Prices are stale: a busy symbol has stopped updating.',
  // paused: the server's `stalled` notice is announced from the message bar, with its reason.
};

export class Announcer {
  private readonly limiter: RateLimiter;

  constructor(region: HTMLElement) {
    this.limiter = new RateLimiter(
      (text) => (region.textContent = text),
      ANNOUNCE_MS,
      () => Date.now(),
      (cb, ms) => setTimeout(cb, ms),
      (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    );
  }

  say(text: string): void {
    this.limiter.say(text);
  }

  /** Says what a connection state means, for the states worth a word. */
  connection(state: ConnectionState): void {
    const text = STATE_TEXT[state];
    if (text) this.limiter.say(text);
  }

  stop(): void {
    this.limiter.stop();
  }
}
