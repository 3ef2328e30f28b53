import Database from 'better-sqlite3';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Snapshot, Tick } from '../src/contracts';
import { connect, startApp, waitFor } from './support/app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function latest(url: string): Promise<Map<string, Snapshot>> {
  const res = await request(url).get('/api/quotes/latest').expect(200);
  return new Map((res.body.quotes as Snapshot[]).map((q) => [q.symbol, q]));
}

describe('Persistence (e2e)', () => {
  it("continues every symbol's seq and price after a graceful restart, losing nothing", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tickerboard-restart-'));
    try {
      const first = await startApp({ DATA_DIR: dataDir }, { fakeFeed: true });
      first.feed.tickAll(20);
      first.feed.emit('BTCUSD', 30);
      await first.close(); // graceful: flushes everything
      const stored = new Database(join(dataDir, 'tickerboard.db'), { readonly: true });
      const lastStored = new Map(
        (
          stored
            .prepare('SELECT symbol, MAX(seq) AS seq FROM ticks GROUP BY symbol')
            .all() as Array<{
            symbol: string;
            seq: number;
          }>
        ).map((r) => [r.symbol, r.seq]),
      );
      const count = (stored.prepare('SELECT COUNT(*) AS n FROM ticks').get() as { n: number }).n;
      stored.close();
      // Every tick the first run emitted is stored: seqs 1..max with no hole.
      expect(count).toBe([...lastStored.values()].reduce((a, b) => a + b, 0));

      const second = await startApp({ DATA_DIR: dataDir }, { fakeFeed: true });
      try {
        second.feed.tickAll(10);
        for (const symbol of ['AAPL', 'BTCUSD', 'EURUSD']) {
          const res = await request(second.url)
            .get(`/api/instruments/${symbol}/quotes?from=0&limit=5000`)
            .expect(200);
          const ticks: Tick[] = res.body.quotes;
          const before = lastStored.get(symbol)!;
          // One unbroken sequence across the restart: no reused seq, no gap.
          ticks.forEach((t, i) => expect(t.seq).toBe(i + 1));
          expect(ticks.length).toBeGreaterThan(before);
          const [a, b] = [ticks[before - 1], ticks[before]];
          expect(b.ts).toBeGreaterThan(a.ts);
          // No jump: the next price is within a few spreads.
          expect(Math.abs(b.last - a.last)).toBeLessThanOrEqual(
            (a.ask - a.bid) * 10 + a.last * 0.002,
          );
        }
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('resumes a client across a server restart from the store: no gap, no duplicate', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tickerboard-resume-'));
    try {
      const first = await startApp({ DATA_DIR: dataDir }, { fakeFeed: true });
      const s = await connect(first.url, { reconnection: false });
      const before: Tick[] = [];
      s.on('ticks', (ts) => before.push(...ts));
      await s.emitWithAck('subscribe', { symbols: ['BTCUSD'] });
      first.feed.emit('BTCUSD', 10);
      await waitFor(() => before.length === 10, 10_000, 'first ticks');
      const lastSeq = before[before.length - 1].seq;
      s.disconnect();
      first.feed.emit('BTCUSD', 15); // ticks the client misses, still on the first server
      await first.close();

      const second = await startApp({ DATA_DIR: dataDir }, { fakeFeed: true });
      try {
        // The ring starts empty after a restart: only the store has what the client missed.
        const again = await connect(second.url, { reconnection: false });
        const after: Tick[] = [];
        again.on('ticks', (ts) => after.push(...ts));
        const ack = await again.emitWithAck('subscribe', {
          symbols: ['BTCUSD'],
          resume: { BTCUSD: lastSeq },
        });
        if (!ack.ok) throw new Error(JSON.stringify(ack));
        expect(ack.unresumable).toBeUndefined();
        const snap = ack.snapshot[0] as Snapshot;
        second.feed.emit('BTCUSD', 5);
        await waitFor(
          () => after.length > 0 && after[after.length - 1].seq > snap.seq + 3,
          10_000,
          'live ticks',
        );
        after.forEach((t, i) => expect(t.seq).toBe(lastSeq + 1 + i));
        again.disconnect();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('gives two servers with the same SEED and empty stores the same price sequence', async () => {
    const [a, b] = await Promise.all([
      startApp({ SEED: '7', TICK_RATE: '1000' }),
      startApp({ SEED: '7', TICK_RATE: '1000' }),
    ]);
    try {
      await sleep(1500);
      for (const symbol of ['AAPL', 'BTCUSD']) {
        const [ta, tb] = await Promise.all(
          [a, b].map(async (s) => {
            const res = await request(s.url).get(
              `/api/instruments/${symbol}/quotes?from=0&limit=20`,
            );
            return (res.body.quotes as Tick[]).map(({ seq, bid, ask, last, size }) => ({
              seq,
              bid,
              ask,
              last,
              size,
            }));
          }),
        );
        expect(ta.length).toBeGreaterThan(5);
        const n = Math.min(ta.length, tb.length);
        expect(ta.slice(0, n)).toEqual(tb.slice(0, n));
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  describe('a killed server (kill -9)', () => {
    let dataDir: string;
    let child: ChildProcess | undefined;
    const port = 30000 + Math.floor(Math.random() * 20000);

    function start(): ChildProcess {
      const proc = spawn(process.execPath, ['dist/main.js'], {
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          CLIENT: 'off',
          BACKFILL: 'false',
          TICK_RATE: '2000',
          FLUSH_MS: '200',
          LOG_LEVEL: 'error',
        },
        detached: true, // its own process group, stopped as one
        stdio: 'ignore',
      });
      return proc;
    }

    /** Signals the server's process group and waits until the server has exited. */
    async function stop(signal: NodeJS.Signals): Promise<void> {
      const proc = child;
      if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      try {
        process.kill(-proc.pid, signal);
      } catch {
        return; // already gone
      }
      await exited;
    }

    async function ready(): Promise<void> {
      for (let i = 0; i < 200; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/health`);
          if (res.ok) return;
        } catch {
          /* not listening yet */
        }
        await sleep(100);
      }
      throw new Error('server did not start');
    }

    beforeAll(() => {
      execFileSync(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'build'], {
        stdio: 'ignore',
      });
      dataDir = mkdtempSync(join(tmpdir(), 'tickerboard-kill-'));
    }, 120_000);

    afterAll(() => {
      if (child?.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    });

    it.each([
      [
        'a bad setting',
        { PORT: 'abc' },
        /^Invalid configuration: PORT must be an integer, got "abc"$/,
      ],
      [
        'a corrupt store',
        { CORRUPT: '1' },
        /^SQLite store .*tickerboard\.db is not a valid database .*: move it aside or set DATA_DIR$/,
      ],
      [
        'an unreachable database',
        { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
        /^Cannot reach PostgreSQL at 127\.0\.0\.1:1 \(ECONNREFUSED\)/,
      ],
    ])('refuses to start on %s with one line, touching nothing', (_, env, line) => {
      const dir = mkdtempSync(join(tmpdir(), 'tickerboard-bad-'));
      const file = join(dir, 'tickerboard.db');
      if ('CORRUPT' in env) writeFileSync(file, Buffer.alloc(8192, 7));
      const result = spawnSync(process.execPath, ['dist/main.js'], {
        env: { ...process.env, PORT: '0', CLIENT: 'off', DATA_DIR: dir, ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });
      const after = 'CORRUPT' in env ? readFileSync(file) : undefined;
      rmSync(dir, { recursive: true, force: true });
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
      if (after) expect(after.equals(Buffer.alloc(8192, 7))).toBe(true);
    });

    it('loses at most the last flush interval and never corrupts the store', async () => {
      child = start();
      await ready();
      await sleep(2000);
      const beforeKill = await latest(`http://127.0.0.1:${port}`);
      process.kill(-child.pid!, 'SIGKILL');
      await sleep(300);

      const db = new Database(join(dataDir, 'tickerboard.db'));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Map(
        (
          db
            .prepare('SELECT symbol, MAX(seq) AS seq, MAX(ts) AS ts FROM ticks GROUP BY symbol')
            .all() as Array<{
            symbol: string;
            seq: number;
            ts: number;
          }>
        ).map((r) => [r.symbol, r]),
      );
      const reserved = new Map(
        db.prepare('SELECT symbol, reserved_through FROM seq_reservations').raw().all() as [
          string,
          number,
        ][],
      );
      db.close();
      for (const [symbol, snap] of beforeKill) {
        const row = stored.get(symbol);
        expect(row).toBeDefined();
        // What was lost is within one flush interval (200 ms) plus scheduling slack.
        expect(snap.ts - row!.ts).toBeLessThan(1000);
      }

      child = start();
      await ready();
      await sleep(500);
      const after = await latest(`http://127.0.0.1:${port}`);
      for (const [symbol, row] of stored) {
        const res = await request(`http://127.0.0.1:${port}`)
          .get(`/api/instruments/${symbol}/quotes?from=${row.ts}&limit=3`)
          .expect(200);
        // The restarted feed continues after what was stored and after every seq the killed
        // server had reserved (and may have shown to a client): no reused seq.
        expect(res.body.quotes[0].seq).toBe(row.seq);
        expect(reserved.get(symbol)).toBeGreaterThan(row.seq);
        if (res.body.quotes[1]) {
          expect(res.body.quotes[1].seq).toBe(Math.max(row.seq, reserved.get(symbol)!) + 1);
        }
        expect(after.get(symbol)!.seq).toBeGreaterThanOrEqual(row.seq);
      }
      await stop('SIGTERM');
    }, 60_000);

    it('never reissues a seq a client saw: a resume across the lost ticks is unresumable', async () => {
      await stop('SIGTERM');
      const url = `http://127.0.0.1:${port}`;
      const symbols = ['AAPL', 'BTCUSD', 'EURUSD'];
      const content = ({ seq, ts, bid, ask, last, size, volume }: Tick) => ({
        seq,
        ts,
        bid,
        ask,
        last,
        size,
        volume,
      });
      child = start();
      await ready();
      const seen = new Map(symbols.map((symbol) => [symbol, new Map<number, Tick>()]));
      const watcher = await connect(url, { reconnection: false });
      watcher.on('ticks', (ticks) => {
        for (const t of ticks) seen.get(t.symbol)?.set(t.seq, t);
      });
      const subscribed = await watcher.emitWithAck('subscribe', { symbols, mode: 'full' });
      expect(subscribed.ok).toBe(true);
      await sleep(1500);
      // Mid-stream: the client has seen ticks of the last flush interval that are not stored.
      await stop('SIGKILL');
      watcher.disconnect();
      const lastSeen = new Map<string, number>();
      const firstSeen = new Map<string, number>();
      for (const [symbol, ticks] of seen) {
        expect(ticks.size).toBeGreaterThan(0);
        lastSeen.set(symbol, Math.max(...ticks.keys()));
        firstSeen.set(symbol, Math.min(...ticks.keys()));
      }

      child = start();
      await ready();
      /** What a resume from `from` gets: the ticks of the symbols it resumed, and its ack. */
      async function resume(from: ReadonlyMap<string, number>) {
        const socket = await connect(url, { reconnection: false });
        const got: Tick[] = [];
        socket.on('ticks', (ticks) => got.push(...ticks));
        const ack = await socket.emitWithAck('subscribe', {
          symbols,
          mode: 'full',
          resume: Object.fromEntries(from),
        });
        if (!ack.ok) throw new Error(JSON.stringify(ack));
        await sleep(500);
        socket.disconnect();
        return { got, ack };
      }
      // A client that was still reading when the server died, and one that had stopped earlier.
      for (const from of [lastSeen, firstSeen]) {
        const { got, ack } = await resume(from);
        const unresumable = new Set(ack.unresumable ?? []);
        for (const symbol of symbols) {
          const before = seen.get(symbol)!;
          const ticks = got.filter((t) => t.symbol === symbol);
          // Whatever comes again under a seq the client saw is what it saw.
          for (const t of ticks) {
            const was = before.get(t.seq);
            if (was) expect(content(t)).toEqual(content(was));
          }
          const snap = (ack.snapshot as Snapshot[]).find((q) => q.symbol === symbol)!;
          const was = before.get(snap.seq);
          if (was) {
            expect([snap.bid, snap.ask, snap.last]).toEqual([was.bid, was.ask, was.last]);
          }
          // Either an honest gap, or a replay that continues exactly where the client was.
          if (!unresumable.has(symbol)) {
            ticks.forEach((t, i) => expect(t.seq).toBe(from.get(symbol)! + 1 + i));
          }
        }
        // Resuming from before the lost ticks can only be answered with the gap.
        if (from === firstSeen) expect([...unresumable].sort()).toEqual(symbols);
      }
      // The store's history agrees with what the client saw, wherever both have a seq.
      for (const symbol of symbols) {
        const before = seen.get(symbol)!;
        const from = before.get(firstSeen.get(symbol)!)!.ts;
        const res = await request(url)
          .get(`/api/instruments/${symbol}/quotes?from=${from}&limit=5000`)
          .expect(200);
        for (const t of res.body.quotes as Tick[]) {
          const was = before.get(t.seq);
          if (was) expect(content(t)).toEqual(content(was));
        }
      }
      await stop('SIGTERM');
    }, 60_000);
  });
});
