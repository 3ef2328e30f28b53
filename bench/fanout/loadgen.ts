// The fan-out load generator: a separate process on the client core, driven over IPC by step.ts.
// It opens the clients, subscribes them, and reports per-window deliveries, losses and latency.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { inPool, StreamClient, SYMBOL_LIST, Tally, type Protocol } from '../lib/stream-client';

export type LoadCommand =
  | {
      cmd: 'connect';
      url: string;
      protocol: Protocol;
      sets: string[][];
      checkGaps: boolean;
      concurrency: number;
    }
  | {
      cmd: 'subscribe';
      mode: 'full' | 'conflated';
      throttleMs?: number;
      /** 'compact': the clients decode `t` frames (CompactTickDecoder) and check them alike. */
      encoding?: 'json' | 'compact';
      concurrency: number;
    }
  | { cmd: 'window-start' }
  | { cmd: 'window-end' }
  | { cmd: 'exit' };

export interface WindowStats {
  ticks: number;
  frames: number;
  bytes: number;
  lost: number;
  duplicates: number;
  totalLost: number;
  totalDuplicates: number;
  notices: number;
  formatErrors: number;
  disconnected: number;
  /** Deliveries the clients would have had if each got every tick its symbols produced in the window. */
  expected: number;
  /** Ticks produced per symbol in the window, as seen by the furthest-ahead client. */
  produced: Record<string, number>;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  samples: number;
  /**
   * The generator's own longest event-loop delay in the window: latency it added by being busy,
   * which the clients' figures include.
   */
  genLoopMaxMs: number;
}

export type LoadEvent =
  | { ev: 'ready' }
  | { ev: 'connected'; ms: number; failed: number; firstError?: string }
  | { ev: 'subscribed'; ms: number; failed: number; firstError?: string }
  | { ev: 'window-started' }
  | { ev: 'window'; stats: WindowStats }
  | { ev: 'error'; message: string };

const tally = new Tally();
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
let clients: StreamClient[] = [];
let sets: string[][] = [];
let seqAtStart = new Float64Array(SYMBOL_LIST.length);

function send(e: LoadEvent): void {
  process.send?.(e);
}

async function handle(msg: LoadCommand): Promise<void> {
  switch (msg.cmd) {
    case 'connect': {
      const t0 = Date.now();
      sets = msg.sets;
      let failed = 0;
      let firstError: string | undefined;
      const opened = await inPool(sets.length, msg.concurrency, async () => {
        const c = new StreamClient(msg.url, msg.protocol, tally, msg.checkGaps);
        try {
          await c.connect();
          return c;
        } catch (err) {
          failed++;
          firstError ??= String(err);
          return undefined;
        }
      });
      clients = opened.filter((c): c is StreamClient => c !== undefined);
      sets = sets.filter((_, i) => opened[i] !== undefined);
      return send({ ev: 'connected', ms: Date.now() - t0, failed, firstError });
    }
    case 'subscribe': {
      const t0 = Date.now();
      let failed = 0;
      let firstError: string | undefined;
      await inPool(clients.length, msg.concurrency, async (i) => {
        try {
          await clients[i].subscribe({
            symbols: sets[i],
            ...(msg.mode === 'conflated' ? { mode: 'conflated', throttleMs: msg.throttleMs } : {}),
            ...(msg.encoding === 'compact' ? { encoding: 'compact' } : {}),
          });
        } catch (err) {
          failed++;
          firstError ??= String(err);
        }
      });
      return send({ ev: 'subscribed', ms: Date.now() - t0, failed, firstError });
    }
    case 'window-start':
      tally.resetWindow();
      seqAtStart = Float64Array.from(tally.maxSeq);
      loopDelay.reset();
      return send({ ev: 'window-started' });
    case 'window-end': {
      const produced: Record<string, number> = {};
      const perIndex = SYMBOL_LIST.map((_, i) =>
        seqAtStart[i] > 0 ? tally.maxSeq[i] - seqAtStart[i] : 0,
      );
      SYMBOL_LIST.forEach((s, i) => {
        if (perIndex[i] > 0) produced[s] = perIndex[i];
      });
      let expected = 0;
      for (const set of sets) for (const s of set) expected += produced[s] ?? 0;
      const h = tally.latency;
      return send({
        ev: 'window',
        stats: {
          ticks: tally.ticks,
          frames: tally.frames,
          bytes: tally.bytes,
          lost: tally.lost,
          duplicates: tally.duplicates,
          totalLost: tally.totalLost,
          totalDuplicates: tally.totalDuplicates,
          notices: tally.notices,
          formatErrors: tally.formatErrors,
          disconnected: clients.filter((c) => c.closedUnexpectedly).length,
          expected,
          produced,
          p50: h.getValueAtPercentile(50),
          p99: h.getValueAtPercentile(99),
          p999: h.getValueAtPercentile(99.9),
          max: h.maxValue,
          samples: h.totalCount,
          genLoopMaxMs: loopDelay.max / 1e6,
        },
      });
    }
    case 'exit':
      for (const c of clients) c.close();
      process.exit(0);
  }
}

process.on('message', (msg: LoadCommand) => {
  handle(msg).catch((err: unknown) => send({ ev: 'error', message: String(err) }));
});
// Never outlive the harness.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
send({ ev: 'ready' });
