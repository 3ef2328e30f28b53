// The harness's end of a load generator's IPC channel: commands out, events queued until asked for.
import type { Pinned } from './proc';

export class LoadGen<Cmd, Ev extends { ev: string } | { ev: 'error'; message: string }> {
  private readonly queue: Ev[] = [];
  private wake: (() => void) | undefined;

  constructor(readonly proc: Pinned) {
    proc.child.on('message', (e: Ev) => {
      this.queue.push(e);
      this.wake?.();
    });
    proc.child.on('exit', () => this.wake?.());
  }

  send(cmd: Cmd): void {
    this.proc.child.send(cmd as object);
  }

  /** The next event `ev`; an `error` event, the generator's exit or the timeout throw. */
  async next<E extends Ev['ev']>(ev: E, timeoutMs: number): Promise<Extract<Ev, { ev: E }>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((e) => e.ev === ev || e.ev === 'error');
      if (i >= 0) {
        const e = this.queue.splice(i, 1)[0];
        if (e.ev === 'error') {
          throw new Error(`load generator: ${(e as { message: string }).message}`);
        }
        return e as Extract<Ev, { ev: E }>;
      }
      if (this.proc.child.exitCode !== null)
        throw new Error(`load generator exited:\n${this.proc.output()}`);
      if (Date.now() > until) throw new Error(`load generator: no '${ev}' in ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 200);
      });
    }
  }
}
