// Ticks one socket may be replayed per minute: a token bucket that refills continuously, so a
// client reconnecting in a loop cannot make the server re-read and re-send its history each time.
import { TokenBucket } from './token-bucket';

export class ReplayBudget extends TokenBucket {
  constructor(perMinute: number, now: number) {
    super(perMinute, 60_000, now);
  }
}
