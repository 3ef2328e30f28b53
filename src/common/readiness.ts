// Whether this node should be sent traffic: ready once nothing holds it back. Parts of the app
// hold it back by name (a node catching up with the stream, a node draining on SIGTERM) and say
// why; /api/health/ready answers 503 with those reasons until every hold is released.
import { Injectable } from '@nestjs/common';

export interface ReadinessStatus {
  ready: boolean;
  /** Why the node is not ready, one line per hold; empty when ready. */
  waiting: string[];
}

@Injectable()
export class Readiness {
  private readonly holds = new Map<string, string>();

  /** Holds readiness back under `name` (replacing an earlier reason of the same name). */
  hold(name: string, reason: string): void {
    this.holds.set(name, reason);
  }

  release(name: string): void {
    this.holds.delete(name);
  }

  status(): ReadinessStatus {
    return { ready: this.holds.size === 0, waiting: [...this.holds.values()] };
  }
}
