// Hostile clients on the socket stream: resume bombs, a socket that never reads and keeps
// re-subscribing, concurrent subscribes past the limit, an oversized message. Each must cost the server little and
// leave well-behaved clients' guarantees (complete, ordered replays) intact.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { jest } from '@jest/globals';
import WebSocket from 'ws';
import type { Notice, Snapshot, SubscribeAck, Subscription, Tick } from '../src/contracts';
import { InstrumentsService } from '../src/instruments/instruments.service';
import { QuoteStore } from '../src/storage/quote-store';
import { MAX_MESSAGE_BYTES, MAX_PAYLOAD_BYTES } from '../src/streaming/control';
import { StreamingGateway } from '../src/streaming/streaming.gateway';
import { SubscriptionsService } from '../src/streaming/subscriptions.service';
import { RawClient } from './support/raw-client';
import { connect, startApp, waitFor, type FakeFeedApp, type TestSocket } from './support/app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type AnyEmit = (event: string, ...args: unknown[]) => Promise<SubscribeAck>;

/**
 * Emits ticks of each symbol until it has reached seq `through` (the feed emits only as far as the
 * store has reserved seqs, so one call may fall short); returns the ticks of the first symbol.
 */
async function history(sut: FakeFeedApp, symbols: string[], through: number): Promise<Tick[]> {
  const first: Tick[] = [];
  const reached = new Map(symbols.map((x) => [x, 0]));
  for (const until = Date.now() + 60_000; ; await sleep(10)) {
    for (const symbol of symbols) {
      const ticks = sut.feed.emit(symbol, through - reached.get(symbol)!);
      if (symbol === symbols[0]) first.push(...ticks);
      if (ticks.length) reached.set(symbol, ticks[ticks.length - 1].seq);
    }
    if ([...reached.values()].every((seq) => seq >= through)) return first;
    if (Date.now() > until) throw new Error(`history short of seq ${through}`);
  }
}

function collect(s: TestSocket): Tick[] {
  const got: Tick[] = [];
  s.on('ticks', (ts) => got.push(...ts));
  return got;
}

describe('Resume bombs (e2e)', () => {
  let sut: FakeFeedApp;
  let all: string[];
  const sockets: TestSocket[] = [];
  const HISTORY = 2_100; // per symbol: more than memory keeps (2,048), so the store holds the rest

  beforeAll(async () => {
    sut = await startApp(
      { MAX_REPLAY_TICKS: '1000', REPLAY_TICKS_PER_MINUTE: '5000', FLUSH_MS: '50' },
      { fakeFeed: true },
    );
    all = sut.app.get(InstrumentsService).symbols();
    await history(sut, all, HISTORY);
  }, 120_000);
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(() => sut.close());

  async function client(): Promise<TestSocket> {
    const s = await connect(sut.url);
    sockets.push(s);
    return s;
  }

  it('answers a subscribe resuming every symbol from seq 0 within 1 s, unresumable, without a store read, the event loop and heap undisturbed', async () => {
    const s = await client();
    const got = collect(s);
    const reads = jest.spyOn(sut.app.get(QuoteStore), 'ticks');
    const delay = monitorEventLoopDelay({ resolution: 5 });
    const heapBefore = process.memoryUsage().heapUsed;
    delay.enable();
    const started = performance.now();
    const ack = await s.emitWithAck('subscribe', {
      symbols: all,
      resume: Object.fromEntries(all.map((x) => [x, 0])),
    });
    const elapsed = performance.now() - started;
    await sleep(100);
    delay.disable();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    reads.mockRestore();
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    expect(elapsed).toBeLessThan(1000);
    expect(ack.unresumable?.slice().sort()).toEqual(all.slice().sort());
    expect(ack.subscriptions).toHaveLength(all.length);
    expect(reads).not.toHaveBeenCalled();
    expect(got).toEqual([]);
    const maxDelayMs = delay.max / 1e6;
    console.log(
      `resume bomb (${all.length} symbols x ${HISTORY} ticks from seq 0): ack ${elapsed.toFixed(0)} ms, ` +
        `event-loop delay max ${maxDelayMs.toFixed(1)} ms, heap growth ${(heapGrowth / 1e6).toFixed(1)} MB`,
    );
    expect(maxDelayMs).toBeLessThan(200);
    expect(heapGrowth).toBeLessThan(32 * 1024 * 1024);
  });

  it("replays resumes within MAX_REPLAY_TICKS only up to the socket's per-minute budget; the rest are unresumable and not read", async () => {
    const s = await client();
    const got = collect(s);
    const gap = 900; // each within MAX_REPLAY_TICKS (1000); 5 of them fit in 5,000 per minute
    const reads = jest.spyOn(sut.app.get(QuoteStore), 'ticks');
    const ack = await s.emitWithAck('subscribe', {
      symbols: all,
      resume: Object.fromEntries(all.map((x) => [x, HISTORY - gap])),
    });
    reads.mockRestore();
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    const replayed = all.slice(0, 5);
    expect(ack.unresumable?.slice().sort()).toEqual(all.slice(5).sort());
    // Memory holds the last 2,048 ticks of each symbol: no store read for these either.
    expect(reads).not.toHaveBeenCalled();
    await waitFor(() => got.length >= 5 * gap, 10_000, 'the replays');
    for (const symbol of replayed) {
      expect(got.filter((t) => t.symbol === symbol).map((t) => t.seq)).toEqual(
        Array.from({ length: gap }, (_, i) => HISTORY - gap + 1 + i),
      );
    }
    expect(new Set(got.map((t) => t.symbol))).toEqual(new Set(replayed));
    // The budget is the socket's: 4,500 spent, it refills by 5,000 a minute, so a resume of
    // 1,000 more within seconds is refused.
    const again = await (s.emitWithAck as unknown as AnyEmit)('subscribe', {
      symbols: [all[10]],
      resume: { [all[10]]: HISTORY - 1_000 },
    });
    expect(again).toMatchObject({ ok: true, unresumable: [all[10]] });
  });
});

describe('A large replay within budget (e2e)', () => {
  let sut: FakeFeedApp;
  beforeAll(async () => {
    // A small slow bound, so the replay goes out in many frames as the socket drains.
    sut = await startApp({ SLOW_CLIENT_BYTES: '65536', FLUSH_MS: '50' }, { fakeFeed: true });
  });
  afterAll(() => sut.close());

  it('arrives complete and in order before the live ticks, which follow with no gap and no duplicate', async () => {
    const laid = await history(sut, ['AAPL'], 4_600);
    const store = sut.app.get(QuoteStore);
    // Memory keeps the last 2,048: wait until the store has the seqs before them.
    const stored = async () =>
      (await store.ticks('AAPL', { afterSeq: 2_600, order: 'asc', limit: 1 })).length;
    for (let until = Date.now() + 10_000; !(await stored()) && Date.now() < until;) {
      await sleep(50);
    }
    const from = laid[0].seq + 50; // a gap of 4,550: within MAX_REPLAY_TICKS (5,000)
    const s = await connect(sut.url);
    const got = collect(s);
    let live = laid[laid.length - 1].seq;
    const pending = s.emitWithAck('subscribe', { symbols: ['AAPL'], resume: { AAPL: from } });
    // Live ticks keep coming while the resume is read, and while the replay is written.
    let settled = false;
    let heldAtAck = -1;
    void pending.finally(() => {
      settled = true;
      heldAtAck = got.length;
    });
    while (!settled) {
      live = sut.feed.emit('AAPL').at(-1)?.seq ?? live;
      await sleep(1);
    }
    const ack = await pending;
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    expect(ack.unresumable).toBeUndefined();
    // Every missed tick came before the acknowledgement, and no live one after its snapshot.
    const snapshotSeq = (ack.snapshot[0] as Snapshot).seq;
    expect(heldAtAck).toBe(snapshotSeq - from);
    expect(got.slice(0, heldAtAck).at(-1)?.seq).toBe(snapshotSeq);
    for (let i = 0; i < 20; i++) {
      live = sut.feed.emit('AAPL', 5).at(-1)?.seq ?? live;
      await sleep(5);
    }
    await waitFor(() => got.at(-1)?.seq === live, 10_000, 'the last live tick');
    expect(got.map((t) => t.seq)).toEqual(
      Array.from({ length: live - from }, (_, i) => from + 1 + i),
    );
    expect(live - from).toBeGreaterThan(4_600);
    s.disconnect();
  });
});

describe('A socket that never reads and keeps re-subscribing (e2e)', () => {
  let sut: FakeFeedApp;
  beforeAll(async () => {
    // A high absolute cap: what drops this socket is its conflated backlog still growing, which
    // re-subscribing in full mode must not reset. The clock lags so that each burst can move it
    // on by a conflation throttle.
    sut = await startApp(
      {
        SLOW_CLIENT_BYTES: '16384',
        MAX_CLIENT_BYTES: String(256 * 1024 * 1024),
        CONTROL_RATE: '50',
      },
      { fakeFeed: { lagMs: 600_000 } },
    );
  });
  let afterThis = () => {};
  afterEach(() => afterThis());
  afterAll(() => sut.close());

  it('is still dropped: re-subscribing full does not clear its slow state while its backlog is there', async () => {
    const gateway = sut.app.get(StreamingGateway);
    const before = gateway.stats();
    const all = sut.app.get(InstrumentsService).symbols();
    const raw = await RawClient.connect(sut.url);
    afterThis = () => raw.close();
    expect(await raw.emitWithAck('subscribe', { symbols: all })).toMatchObject({ ok: true });
    raw.pause();
    let resubscribes = 0;
    const until = Date.now() + 30_000;
    while (gateway.stats().droppedClients === before.droppedClients) {
      if (Date.now() > until) throw new Error('the stalled socket was never dropped');
      sut.feed.tickAll(100);
      sut.clock.advance(250);
      if (gateway.stats().conflatedClients > before.conflatedClients) {
        // Its acks are never read; what matters is what the server does with the request.
        void raw.emitWithAck('subscribe', { symbols: all, mode: 'full' });
        resubscribes++;
      }
      await sleep(30);
    }
    expect(resubscribes).toBeGreaterThan(0);
    raw.resume();
    await waitFor(() => raw.closed, 10_000, 'the connection to close');
    const notices = raw.events.filter(([e]) => e === 'notice').map(([, n]) => n as Notice);
    expect(notices.at(-1)).toMatchObject({ type: 'disconnecting', reason: 'slow_consumer' });
    // Each re-subscribe was answered with a notice that it stays conflated.
    expect(notices.filter((n) => n.type === 'conflated').length).toBeGreaterThan(1);
  }, 60_000);
});

describe('Concurrent subscribes past the limit (e2e)', () => {
  let sut: FakeFeedApp;
  beforeAll(async () => {
    sut = await startApp({ MAX_SUBSCRIPTIONS: '500' }, { fakeFeed: true });
  });
  afterAll(() => sut.close());

  it('ends with at most MAX_SUBSCRIPTIONS subscriptions, the subscribes past it refused with LIMIT_EXCEEDED', async () => {
    const all = sut.app.get(InstrumentsService).symbols();
    expect(all.length).toBeGreaterThanOrEqual(101);
    // Ten subscribes of 100 symbols, sent at once: ticks and each candle interval (seven distinct
    // channels), then three more over the same channels with the window moved by one symbol.
    const channels = [
      { channel: 'ticks' },
      ...['1s', '1m', '5m', '15m', '1h', '1d'].map((interval) => ({
        channel: 'candles',
        interval,
      })),
    ];
    const s = await connect(sut.url);
    const emit = s.emitWithAck.bind(s) as unknown as AnyEmit;
    const acks = await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        emit('subscribe', {
          ...channels[k % channels.length],
          symbols: all.slice(k < channels.length ? 0 : 1, (k < channels.length ? 0 : 1) + 100),
        }),
      ),
    );
    const list = (await (s.emitWithAck as unknown as (e: string) => Promise<unknown>)(
      'subscriptions',
    )) as { subscriptions: Subscription[] };
    const refused = acks.filter((a) => !a.ok);
    expect(list.subscriptions.length).toBeLessThanOrEqual(500);
    expect(list.subscriptions).toHaveLength(acks.filter((a) => a.ok).length * 100);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    for (const ack of refused) expect(ack).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
    s.disconnect();
  });
});

describe('An oversized message, a session that never connects (e2e)', () => {
  let sut: FakeFeedApp;
  beforeAll(async () => {
    sut = await startApp({}, { fakeFeed: true });
  });
  afterAll(() => sut.close());

  it('closes the connection before anything parses it; a message at the payload limit is answered', async () => {
    const subscribe = jest.spyOn(SubscriptionsService.prototype, 'subscribe');
    const raw = await RawClient.connect(sut.url);
    const closed = new Promise<number>((resolve) => raw.ws.once('close', resolve));
    // One megabyte: far past MAX_MESSAGE_BYTES, so the transport refuses it unread.
    raw.ws.send(
      `421${JSON.stringify(['subscribe', { symbols: ['AAPL'], pad: 'x'.repeat(1 << 20) }])}`,
    );
    expect(await closed).toBe(1009); // WebSocket "message too big"
    expect(subscribe).not.toHaveBeenCalled();

    // Just under the transport's limit, over the protocol's: parsed and refused, connection kept.
    const ok = await RawClient.connect(sut.url);
    const pad = 'x'.repeat(MAX_MESSAGE_BYTES - 200);
    const ack = await ok.emitWithAck('subscribe', { symbols: ['AAPL'], pad });
    expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(JSON.stringify(ack)).toContain(`the limit is ${MAX_PAYLOAD_BYTES}`);
    expect(ok.closed).toBe(false);
    ok.close();
    subscribe.mockRestore();
  });

  it('closes a session that never sends CONNECT (and so passes no credential or limit) within 10 s', async () => {
    const ws = new WebSocket(
      `${sut.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
    );
    const opened = Date.now();
    // Engine.IO's open packet arrives; the Socket.IO CONNECT ('40') is never sent.
    const closedAfter = await new Promise<number>((resolve) =>
      ws.once('close', () => resolve(Date.now() - opened)),
    );
    expect(closedAfter).toBeGreaterThan(8_000);
    expect(closedAfter).toBeLessThan(12_000);
  }, 20_000);
});
