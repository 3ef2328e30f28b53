// Ticks one socket may be replayed per minute: a token bucket that refills continuously, so a
// client reconnecting in a loop cannot make the server re-read and re-send its history each time.

export class ReplayBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMinute: number,
    now: number,
  ) {
    this.tokens = perMinute;
    this.last = now;
  }

  /** Spends `ticks` when that many are left, and says whether it did; nothing is spent otherwise. */
  take(ticks: number, now: number): boolean {
    this.refill(now);
    if (ticks > this.tokens) return false;
    this.tokens -= ticks;
    return true;
  }

  /** Ticks that may be replayed now. */
  remaining(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  private refill(now: number): void {
    // A clock that steps back refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.perMinute, this.tokens + (elapsed * this.perMinute) / 60_000);
    this.last = Math.max(this.last, now);
  }
}
