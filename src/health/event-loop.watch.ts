// Readiness of a node whose event loop stalls: a timer that fires late measures the stall, and a
// stall past the threshold keeps /api/health/ready at 503 for a while after, so that a balancer
// polling every few seconds sees it. Requests are not answered during the stall itself anyway.
import {
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Readiness } from '../common/readiness';

/** How often the loop is sampled: the timer's own lateness is the lag. */
export const SAMPLE_MS = 250;
export const STALL_MS = 1_000;
/** How long a stall keeps the node not ready after it ended. */
export const STALL_HOLD_MS = 5_000;

/** The pure core: fed the times its timer fired, it says whether the loop stalled lately. */
export class LoopLagSampler {
  private last: number;
  private stalledAt = -Infinity;
  private stall = 0;
  lastLag = 0;

  constructor(
    start: number,
    private readonly intervalMs = SAMPLE_MS,
    private readonly thresholdMs = STALL_MS,
    private readonly holdMs = STALL_HOLD_MS,
  ) {
    this.last = start;
  }

  sample(now: number): void {
    this.lastLag = Math.max(0, now - this.last - this.intervalMs);
    this.last = now;
    if (this.lastLag > this.thresholdMs) {
      this.stalledAt = now;
      this.stall = this.lastLag;
    }
  }

  reason(now: number): string | undefined {
    // A timer that has not fired for a whole threshold is itself a stall in progress.
    const pending = now - this.last - this.intervalMs;
    if (pending > this.thresholdMs) return `event loop stalled: ${Math.round(pending)} ms so far`;
    return now - this.stalledAt <= this.holdMs
      ? `event loop stalled for ${Math.round(this.stall)} ms (over ${this.thresholdMs} ms) ${Math.round(now - this.stalledAt)} ms ago`
      : undefined;
  }
}

@Injectable()
export class EventLoopWatch implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private remove: (() => void) | undefined;

  constructor(private readonly readiness: Readiness) {}

  /** From bootstrap on: the synchronous work of starting up is no stall of a serving node. */
  onApplicationBootstrap(): void {
    const sampler = new LoopLagSampler(Date.now());
    this.timer = setInterval(() => sampler.sample(Date.now()), SAMPLE_MS);
    this.timer.unref();
    this.remove = this.readiness.check('event-loop', () => sampler.reason(Date.now()));
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.remove?.();
  }
}
