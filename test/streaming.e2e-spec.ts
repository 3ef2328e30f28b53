import type {
  LiveCandle,
  Notice,
  Snapshot,
  SubscribeAck,
  SubscriptionsAck,
  Tick,
} from '../src/contracts';
import {
  connect,
  startApp,
  waitFor,
  type FakeFeedApp,
  type TestApp,
  type TestSocket,
} from './support/app';

type AnyEmit = (event: string, ...args: unknown[]) => Promise<SubscribeAck>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collect(s: TestSocket): Tick[] {
  const got: Tick[] = [];
  s.on('ticks', (ts) => got.push(...ts));
  return got;
}

function assertContiguous(ticks: Tick[], symbol: string, from?: number): number[] {
  const seqs = ticks.filter((t) => t.symbol === symbol).map((t) => t.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
  if (from !== undefined && seqs.length) expect(seqs[0]).toBe(from);
  return seqs;
}

/** True once `ticks` holds a tick of every symbol in `last` at (or past) its seq there. */
function reached(ticks: Tick[], last: ReadonlyMap<string, number>): boolean {
  return [...last].every(([symbol, seq]) => ticks.some((t) => t.symbol === symbol && t.seq >= seq));
}

/**
 * Runs `pump` (which emits ticks) every millisecond or so while `request` is in flight, so that
 * ticks reach the server before, during and after it handles the request.
 */
async function whileInFlight<T>(request: Promise<T>, pump: () => void): Promise<T> {
  let settled = false;
  const done = request.finally(() => (settled = true));
  while (!settled) {
    pump();
    await sleep(1);
  }
  return done;
}

// The protocol on a FakePriceFeed: every tick a test sees is one it emitted.
describe('Streaming protocol (e2e)', () => {
  let sut: FakeFeedApp;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    // The clock lags so that the candles test can lay down whole seconds at once.
    sut = await startApp({ CONTROL_RATE: '50' }, { fakeFeed: { lagMs: 5000 } });
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(() => sut.close());

  async function client(): Promise<TestSocket> {
    const s = await connect(sut.url);
    sockets.push(s);
    return s;
  }

  /** Emits one tick of each symbol; returns the seq each reached. */
  function round(symbols: readonly string[]): Map<string, number> {
    return new Map(symbols.map((x) => [x, sut.feed.emit(x)[0].seq]));
  }

  it('acknowledges with the subscription list and an atomic snapshot: first tick = snapshot seq + 1', async () => {
    const symbols = ['AAPL', 'BTCUSD'];
    // Another client already follows both, so ticks fill each batch window as they come.
    const other = await client();
    await other.emitWithAck('subscribe', { symbols });
    const s = await client();
    const got = collect(s);
    // A snapshot needs a first tick; then ticks keep coming while the subscribe is handled, so
    // the snapshot is taken with ticks before and after it in the same batch window.
    round(symbols);
    const ack = await whileInFlight(
      s.emitWithAck('subscribe', { symbols: ['aapl', 'BTCUSD'] }),
      () => round(symbols),
    );
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    const last = round(symbols);
    expect(ack.subscriptions).toEqual([
      { symbol: 'AAPL', channel: 'ticks', mode: 'full' },
      { symbol: 'BTCUSD', channel: 'ticks', mode: 'full' },
    ]);
    const snaps = ack.snapshot as Snapshot[];
    expect(snaps.map((x) => x.symbol).sort()).toEqual(['AAPL', 'BTCUSD']);
    for (const snap of snaps) {
      expect(snap).toEqual(
        expect.objectContaining({
          open: expect.any(Number),
          prevClose: expect.any(Number),
          changePct: expect.any(Number),
        }),
      );
    }
    await waitFor(() => reached(got, last), 10000, 'ticks');
    for (const snap of snaps) assertContiguous(got, snap.symbol, snap.seq + 1);
  });

  it('streams the same ticks over WebSocket, long-polling, and a polling connection that upgrades', async () => {
    const symbols = ['AAPL', 'MSFT', 'BTCUSD', 'EURUSD', 'SPY'];
    const transports = [['websocket'], ['polling'], ['polling', 'websocket']];
    const clients = await Promise.all(
      transports.map(async (t) => {
        const s = await connect(sut.url, { transports: t });
        sockets.push(s);
        return { s, got: collect(s) };
      }),
    );
    const acks = await Promise.all(clients.map((c) => c.s.emitWithAck('subscribe', { symbols })));
    // Ticks in small bursts, one batch window apart or so, until the third connection has
    // upgraded (the client does so on its own; usually it has by the time the acks are in) and
    // for a while after; then wait until every client has every last tick.
    const upgradeBy = Date.now() + 5000;
    let last = new Map<string, number>();
    const upgraded = () => clients[2].s.io.engine.transport.name === 'websocket';
    for (let rounds = 0; rounds < 30 || (!upgraded() && Date.now() < upgradeBy); rounds++) {
      last = round(symbols);
      await sleep(5);
    }
    for (let i = 0; i < 10; i++) {
      last = round(symbols);
      await sleep(5);
    }
    await waitFor(() => clients.every((c) => reached(c.got, last)), 10000, 'every last tick');
    expect(clients.map((c) => c.s.io.engine.transport.name)).toEqual([
      'websocket',
      'polling',
      'websocket',
    ]);
    const bySeq = new Map<string, Tick>();
    for (const [i, c] of clients.entries()) {
      const ack = acks[i];
      if (!ack.ok) throw new Error(JSON.stringify(ack));
      expect(c.got.length).toBeGreaterThan(50);
      for (const snap of ack.snapshot as Snapshot[])
        assertContiguous(c.got, snap.symbol, snap.seq + 1);
      for (const t of c.got) {
        const key = `${t.symbol}:${t.seq}`;
        const seen = bySeq.get(key);
        if (seen) expect(t).toEqual(seen);
        else bySeq.set(key, t);
      }
    }
  });

  it('resumes across a forced disconnect from memory: no gap, no duplicate', async () => {
    const s = await client();
    const before = collect(s);
    sut.feed.emit('ETHUSD', 3);
    await s.emitWithAck('subscribe', { symbols: ['ETHUSD'] });
    sut.feed.emit('ETHUSD', 5);
    await waitFor(() => before.length >= 5, 10000, 'first ticks');
    s.disconnect();
    const lastSeq = before[before.length - 1].seq;
    // Ticks the client misses while it is away; more come while it resubscribes.
    sut.feed.emit('ETHUSD', 20);
    const again = await client();
    const after = collect(again);
    const ack = await whileInFlight(
      again.emitWithAck('subscribe', {
        symbols: ['ETHUSD'],
        resume: { ETHUSD: lastSeq },
      }),
      () => sut.feed.emit('ETHUSD'),
    );
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    expect(ack.unresumable).toBeUndefined();
    sut.feed.emit('ETHUSD', 3);
    await waitFor(
      () => after.length > 0 && after[after.length - 1].seq > (ack.snapshot[0] as Snapshot).seq,
      10000,
      'live ticks after replay',
    );
    assertContiguous(after, 'ETHUSD', lastSeq + 1);
  });

  it('lists ticks it no longer keeps as unresumable, and still subscribes', async () => {
    const s = await client();
    const ack = await s.emitWithAck('subscribe', {
      symbols: ['ETHUSD'],
      resume: { ETHUSD: 10_000_000 },
    });
    expect(ack).toMatchObject({ ok: true, unresumable: ['ETHUSD'] });
  });

  it('streams live candles whose closed values equal the REST candles', async () => {
    const s = await client();
    const updates: LiveCandle[] = [];
    s.on('candles', (cs) => updates.push(...cs));
    const ack = await s.emitWithAck('subscribe', {
      symbols: ['BTCUSD', 'KO'],
      channel: 'candles',
      interval: '1s',
    });
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    expect(ack.subscriptions).toEqual([
      { symbol: 'BTCUSD', channel: 'candles', interval: '1s', mode: 'full' },
      { symbol: 'KO', channel: 'candles', interval: '1s', mode: 'full' },
    ]);
    // The seconds the clock lags behind, laid down at once: each second closes a 1s candle.
    sut.catchUp();
    await waitFor(
      () => updates.filter((c) => c.closed && c.symbol === 'BTCUSD').length >= 3,
      10000,
      'closed candles',
    );
    const closed = updates.filter((c) => c.closed && c.symbol === 'BTCUSD');
    // Every bucket closes exactly once.
    expect(new Set(closed.map((c) => c.t)).size).toBe(closed.length);
    for (const c of closed) {
      expect(c.t % 1000).toBe(0);
      expect(c.l).toBeLessThanOrEqual(Math.min(c.o, c.c));
      expect(c.h).toBeGreaterThanOrEqual(Math.max(c.o, c.c));
    }
    const res = await fetch(
      `${sut.url}/api/instruments/BTCUSD/candles?interval=1s&from=${closed[0].t}&to=${closed[closed.length - 1].t + 1000}`,
    );
    const body = (await res.json()) as {
      candles: Array<Omit<LiveCandle, 'symbol' | 'interval' | 'closed'>>;
    };
    const strip = ({ t, o, h, l, c, v, n }: LiveCandle) => ({ t, o, h, l, c, v, n });
    expect(body.candles).toEqual(closed.map(strip));
  });

  it('reports unsubscribe of something not subscribed as success, and lists subscriptions', async () => {
    const s = await client();
    await s.emitWithAck('subscribe', { symbols: ['AAPL'] });
    await s.emitWithAck('subscribe', { symbols: ['AAPL'], channel: 'candles', interval: '1m' });
    const un: SubscriptionsAck = await s.emitWithAck('unsubscribe', { symbols: ['MSFT', 'NOPE'] });
    expect(un.ok).toBe(true);
    const list: SubscriptionsAck = await (
      s.emitWithAck as unknown as (e: string) => Promise<SubscriptionsAck>
    )('subscriptions');
    expect(list).toEqual({
      ok: true,
      subscriptions: [
        { symbol: 'AAPL', channel: 'candles', interval: '1m', mode: 'full' },
        { symbol: 'AAPL', channel: 'ticks', mode: 'full' },
      ],
    });
  });

  describe('errors, with the connection staying usable', () => {
    async function expectError(
      payload: unknown,
      code: string,
      message: RegExp,
      event = 'subscribe',
    ) {
      const s = await client();
      const ack = await (s.emitWithAck as unknown as AnyEmit)(event, payload);
      expect(ack).toMatchObject({ ok: false, error: { code } });
      if (!ack.ok) expect(ack.error.message).toMatch(message);
      const again = await s.emitWithAck('subscribe', { symbols: ['AAPL'] });
      expect(again.ok).toBe(true);
    }

    it.each([
      ['a string', 'AAPL', /payload must be an object/],
      ['null', null, /payload must be an object/],
      ['symbols not an array', { symbols: 'AAPL' }, /symbols/],
      [
        'a bad mode and throttle',
        { symbols: ['AAPL'], mode: 'fast', throttleMs: 1 },
        /mode.*throttleMs|throttleMs.*mode/s,
      ],
      [
        'candles without interval',
        { symbols: ['AAPL'], channel: 'candles' },
        /interval is required/,
      ],
      [
        'an unknown interval',
        { symbols: ['AAPL'], channel: 'candles', interval: '2m' },
        /interval must be one of/,
      ],
      ['resume of a symbol not listed', { symbols: ['AAPL'], resume: { MSFT: 1 } }, /resume.MSFT/],
      [
        'resume in conflated mode',
        { symbols: ['AAPL'], mode: 'conflated', resume: { AAPL: 1 } },
        /resume applies/,
      ],
      ['over 16 KB', { symbols: ['AAPL'], pad: 'x'.repeat(17_000) }, /limit is 16384/],
    ])('INVALID_PAYLOAD for %s', (_, payload, message) =>
      expectError(payload, 'INVALID_PAYLOAD', message),
    );

    it('UNKNOWN_SYMBOL lists every unknown symbol and subscribes nothing', async () => {
      const s = await client();
      const ack = await s.emitWithAck('subscribe', { symbols: ['AAPL', 'NOPE', 'ZZZ'] });
      expect(ack).toMatchObject({
        ok: false,
        error: { code: 'UNKNOWN_SYMBOL', details: { symbols: ['NOPE', 'ZZZ'] } },
      });
      const list = await (s.emitWithAck as unknown as (e: string) => Promise<SubscriptionsAck>)(
        'subscriptions',
      );
      expect(list).toEqual({ ok: true, subscriptions: [] });
    });

    it('answers an unknown event that asks for an acknowledgement', () =>
      expectError({}, 'INVALID_PAYLOAD', /unknown event "subscribe_all"/, 'subscribe_all'));

    it('RATE_LIMITED past the control-message rate, then recovers', async () => {
      const s = await client();
      const acks = await Promise.all(
        Array.from({ length: 60 }, () =>
          (s.emitWithAck as unknown as (e: string) => Promise<SubscriptionsAck>)('subscriptions'),
        ),
      );
      const limited = acks.filter((a) => !a.ok);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      await new Promise((r) => setTimeout(r, 1100));
      const again = await s.emitWithAck('subscribe', { symbols: ['AAPL'] });
      expect(again.ok).toBe(true);
      expect(s.connected).toBe(true);
    });
  });

  it('sends every client a shutdown notice before the server closes', async () => {
    const other = await startApp({}, { fakeFeed: true });
    const s = await connect(other.url, { reconnection: false });
    const notices: Notice[] = [];
    s.on('notice', (n) => notices.push(n));
    await s.emitWithAck('subscribe', { symbols: ['AAPL'] });
    await other.close();
    await waitFor(() => notices.length > 0, 5000, 'shutdown notice');
    expect(notices[0]).toMatchObject({ type: 'shutdown' });
    s.disconnect();
  });
});

// Timing is what these assert: batch windows and throttles, on the live simulator in real time.
describe('Streaming timing (e2e)', () => {
  let sut: TestApp;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    sut = await startApp({ TICK_RATE: '2000' });
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(() => sut.close());

  async function client(): Promise<TestSocket> {
    const s = await connect(sut.url);
    sockets.push(s);
    return s;
  }

  it('keeps seq contiguous in full mode under load, one frame per batch window', async () => {
    const s = await client();
    const frames: Tick[][] = [];
    s.on('ticks', (ts) => frames.push(ts));
    const symbols = [
      'AAPL',
      'MSFT',
      'NVDA',
      'TSLA',
      'SPY',
      'QQQ',
      'EURUSD',
      'BTCUSD',
      'ETHUSD',
      'XAUUSD',
    ];
    const ack = await s.emitWithAck('subscribe', { symbols });
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    await new Promise((r) => setTimeout(r, 2000));
    const ticks = frames.flat();
    expect(ticks.length).toBeGreaterThan(100);
    for (const snap of ack.snapshot as Snapshot[])
      assertContiguous(ticks, snap.symbol, snap.seq + 1);
    // Batching: far fewer frames than ticks, and frames mix symbols.
    expect(frames.length).toBeLessThan(ticks.length / 2);
    expect(frames.some((f) => new Set(f.map((t) => t.symbol)).size > 1)).toBe(true);
  });

  it('reports in /api/metrics how long each window waited in the server before its last frame went out', async () => {
    const s = await client();
    let frames = 0;
    s.on('ticks', () => frames++);
    const ack = await s.emitWithAck('subscribe', { symbols: ['AAPL', 'BTCUSD', 'EURUSD'] });
    if (!ack.ok) throw new Error(JSON.stringify(ack));
    await waitFor(() => frames >= 20, 10_000);
    const text = await (await fetch(`${sut.url}/api/metrics`)).text();
    const value = (name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const windows = value('tickerboard_stream_window_write_seconds_count');
    expect(windows).toBeGreaterThanOrEqual(20);
    // Every window was written within a second of its oldest tick on this idle server.
    expect(value('tickerboard_stream_window_write_seconds_bucket\\{le="1"\\}')).toBe(windows);
  });

  it('conflates to at most one tick per symbol per throttleMs, always the latest', async () => {
    const full = await client();
    const conflated = await client();
    const all = collect(full);
    const arrivals: Array<[number, Tick]> = [];
    conflated.on('ticks', (ts) => ts.forEach((t) => arrivals.push([Date.now(), t])));
    await full.emitWithAck('subscribe', { symbols: ['BTCUSD'] });
    const ack = await conflated.emitWithAck('subscribe', {
      symbols: ['BTCUSD'],
      mode: 'conflated',
      throttleMs: 200,
    });
    expect(ack).toMatchObject({
      ok: true,
      subscriptions: [{ symbol: 'BTCUSD', channel: 'ticks', mode: 'conflated', throttleMs: 200 }],
    });
    await new Promise((r) => setTimeout(r, 2100));
    const fullCount = all.length;
    expect(fullCount).toBeGreaterThan(arrivals.length * 2);
    expect(arrivals.length).toBeGreaterThanOrEqual(6);
    expect(arrivals.length).toBeLessThanOrEqual(12);
    for (let i = 1; i < arrivals.length; i++) {
      // Network jitter may bunch arrivals a little; the server spaces sends by throttleMs.
      expect(arrivals[i][0] - arrivals[i - 1][0]).toBeGreaterThanOrEqual(150);
      expect(arrivals[i][1].seq).toBeGreaterThan(arrivals[i - 1][1].seq);
    }
    // Each conflated tick is one the full stream also carried (the latest at its time).
    const fullSeqs = new Set(all.map((t) => t.seq));
    expect(arrivals.slice(0, -1).every(([, t]) => fullSeqs.has(t.seq))).toBe(true);
  });
});
