// Frame batching and rate limiting, with the clock and the frame source injected so they test without a DOM.

/** Runs `render` at most once per animation frame, however many times request() is called. */
export class FrameScheduler {
  private pending = false;
  private stopped = false;

  constructor(
    private readonly render: (frameTime: number) => void,
    private readonly requestFrame: (cb: (t: number) => void) => unknown,
  ) {}

  request(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    this.requestFrame((t) => {
      this.pending = false;
      if (!this.stopped) this.render(t);
    });
  }

  stop(): void {
    this.stopped = true;
  }
}

/**
 * Passes on at most one message per `intervalMs`; a message that arrives sooner waits and is
 * replaced by any later one, so a screen reader hears the latest state, not a backlog.
 */
export class RateLimiter {
  private lastAt = -Infinity;
  private queued: string | null = null;
  private timer: unknown = null;

  constructor(
    private readonly emit: (text: string) => void,
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly setTimer: (cb: () => void, ms: number) => unknown,
    private readonly clearTimer: (handle: unknown) => void,
  ) {}

  say(text: string): void {
    const now = this.now();
    const wait = this.lastAt + this.intervalMs - now;
    if (wait <= 0 && this.timer === null) {
      this.lastAt = now;
      this.emit(text);
      return;
    }
    this.queued = text;
    if (this.timer === null) {
      this.timer = this.setTimer(() => this.flush(), Math.max(wait, 0));
    }
  }

  private flush(): void {
    this.timer = null;
    if (this.queued === null) return;
    const text = this.queued;
    this.queued = null;
    this.lastAt = this.now();
    this.emit(text);
  }

  stop(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.queued = null;
  }
}
