// What the dashboard must undo when it is destroyed: listeners, intervals, pending timeouts.

export class Lifetime {
  private readonly cleanups: Array<() => void> = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private ended = false;

  get destroyed(): boolean {
    return this.ended;
  }

  /** Runs `cleanup` on destroy; the last added runs first. */
  add(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** Runs `fn` once after `ms`, unless destroyed before. */
  later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.ended) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Runs `fn` every `ms` until destroyed. */
  every(fn: () => void, ms: number): void {
    const t = setInterval(fn, ms);
    this.add(() => clearInterval(t));
  }

  destroy(): void {
    this.ended = true;
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.cleanups.reverse()) c();
  }
}
