/** Time source, injected so that simulators and aggregators can be tested without timers. */
export abstract class Clock {
  abstract now(): number;
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}

/** A clock that moves only when told to; for tests. */
export class ManualClock extends Clock {
  constructor(private current = 0) {
    super();
  }
  now(): number {
    return this.current;
  }
  set(ts: number): void {
    this.current = ts;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
