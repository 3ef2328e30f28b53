// Compact ticks on the real app and simulator: a socket subscribed with encoding 'compact' decodes
// to exactly the ticks a JSON socket receives, across a reconnect with resume too.
import {
  CompactTickDecoder,
  type CompactFrame,
  type Snapshot,
  type SubscribeAck,
  type Tick,
} from '../src/contracts';
import { connect, startApp, waitFor, type TestApp, type TestSocket } from './support/app';

// Prices of every grid (0.01 to 0.00001, 0.5, whole units) and fractional sizes (crypto).
const SYMBOLS = ['AAPL', 'BTCUSD', 'ETHUSD', 'EURUSD', 'USDJPY', '7203', 'XAUUSD', 'SPY'];

const key = (t: Tick) => `${t.symbol}:${t.seq}`;

function collectJson(s: TestSocket): Tick[] {
  const got: Tick[] = [];
  s.on('ticks', (ticks) => got.push(...ticks));
  return got;
}

/** Decodes every `t` frame with one decoder, kept across reconnects as the dashboard does. */
function collectCompact(s: TestSocket, decoder: CompactTickDecoder, frames: CompactFrame[] = []) {
  const got: Tick[] = [];
  s.on('t', (frame) => {
    frames.push(frame);
    got.push(...decoder.decode(frame));
  });
  return { got, frames };
}

function contiguous(ticks: Tick[], symbol: string, from?: number): number[] {
  const seqs = ticks.filter((t) => t.symbol === symbol).map((t) => t.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
  if (from !== undefined && seqs.length) expect(seqs[0]).toBe(from);
  return seqs;
}

function lastSeqs(ticks: Tick[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ticks) out[t.symbol] = t.seq;
  return out;
}

function ok(ack: SubscribeAck): asserts ack is Extract<SubscribeAck, { ok: true }> {
  if (!ack.ok) throw new Error(JSON.stringify(ack));
}

describe('Compact ticks (e2e)', () => {
  let sut: TestApp;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    sut = await startApp({ TICK_RATE: '1500' });
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

  it('decodes to the JSON ticks, field for field, on one server; and lists the encoding', async () => {
    const json = await client();
    const packed = await client();
    const jsonTicks = collectJson(json);
    const { got: compactTicks, frames } = collectCompact(packed, new CompactTickDecoder());
    const plain: Tick[] = [];
    packed.on('ticks', (ticks) => plain.push(...ticks));

    ok(await json.emitWithAck('subscribe', { symbols: SYMBOLS }));
    const ack = await packed.emitWithAck('subscribe', { symbols: SYMBOLS, encoding: 'compact' });
    ok(ack);
    expect(ack.subscriptions).toEqual(
      [...SYMBOLS]
        .sort()
        .map((symbol) => ({ symbol, channel: 'ticks', mode: 'full', encoding: 'compact' })),
    );
    await waitFor(() => compactTicks.length >= 200, 15_000, 'compact ticks');
    await new Promise((r) => setTimeout(r, 200));

    expect(plain).toEqual([]);
    const bySeq = new Map(jsonTicks.map((t) => [key(t), t]));
    let compared = 0;
    for (const t of compactTicks) {
      const expected = bySeq.get(key(t));
      if (!expected) continue;
      expect(JSON.stringify(t)).toBe(JSON.stringify(expected));
      compared++;
    }
    expect(compared).toBeGreaterThan(150);
    for (const snap of ack.snapshot as Snapshot[])
      contiguous(compactTicks, snap.symbol, snap.seq + 1);
    // Deltas carry the stream: a keyframe per symbol to start, a few more at most.
    const keyframes = frames
      .flat()
      .flatMap((e) => e.slice(1))
      .filter(Array.isArray).length;
    expect(keyframes).toBeLessThan(SYMBOLS.length * 2);
    const listed = await packed.emitWithAck('subscriptions');
    expect(listed).toMatchObject({ ok: true, subscriptions: ack.subscriptions });
  }, 30_000);

  it('resumes a compact stream across a reconnect: replay and live ticks decode with no gap, no duplicate, equal to JSON', async () => {
    const json = await client();
    const jsonTicks = collectJson(json);
    ok(await json.emitWithAck('subscribe', { symbols: SYMBOLS }));

    const decoder = new CompactTickDecoder();
    const first = await client();
    const before = collectCompact(first, decoder).got;
    ok(await first.emitWithAck('subscribe', { symbols: SYMBOLS, encoding: 'compact' }));
    await waitFor(() => before.length >= 50, 15_000, 'first compact ticks');
    first.disconnect();
    const resume = lastSeqs(before);
    await new Promise((r) => setTimeout(r, 300)); // ticks missed while away

    const again = await client();
    const { got: after, frames } = collectCompact(again, decoder);
    const ack = await again.emitWithAck('subscribe', {
      symbols: Object.keys(resume),
      resume,
      encoding: 'compact',
    });
    ok(ack);
    expect(ack.unresumable).toBeUndefined();
    // The replay came before the acknowledgement, each of its packets led by a keyframe.
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames)
      for (const entry of frame) expect(Array.isArray(entry[1])).toBe(true);
    const snaps = ack.snapshot as Snapshot[];
    await waitFor(
      () => snaps.every((s) => after.some((t) => t.symbol === s.symbol && t.seq > s.seq)),
      15_000,
      'live ticks after the replay',
    );
    for (const [symbol, seq] of Object.entries(resume)) contiguous(after, symbol, seq + 1);
    await new Promise((r) => setTimeout(r, 200));
    const bySeq = new Map(jsonTicks.map((t) => [key(t), t]));
    const common = after.filter((t) => bySeq.has(key(t)));
    expect(common.length).toBeGreaterThan(50);
    for (const t of common) expect(JSON.stringify(t)).toBe(JSON.stringify(bySeq.get(key(t))));
  }, 30_000);

  it('sends conflated compact subscriptions keyframes of the latest tick', async () => {
    const s = await client();
    const { got, frames } = collectCompact(s, new CompactTickDecoder());
    ok(
      await s.emitWithAck('subscribe', {
        symbols: ['AAPL', 'BTCUSD'],
        mode: 'conflated',
        throttleMs: 100,
        encoding: 'compact',
      }),
    );
    await waitFor(() => got.length >= 6, 15_000, 'conflated compact ticks');
    for (const frame of frames) {
      for (const entry of frame) {
        expect(entry).toHaveLength(2);
        expect(Array.isArray(entry[1])).toBe(true);
      }
    }
  });

  it("refuses an encoding other than 'json' or 'compact' with INVALID_PAYLOAD, and for candles", async () => {
    const s = await client();
    const emit = s.emitWithAck.bind(s) as (e: string, req: unknown) => Promise<SubscribeAck>;
    await expect(emit('subscribe', { symbols: ['AAPL'], encoding: 'msgpack' })).resolves.toEqual({
      ok: false,
      error: {
        code: 'INVALID_PAYLOAD',
        message: expect.any(String),
        details: { problems: ["encoding must be 'json' or 'compact'"] },
      },
    });
    await expect(
      emit('subscribe', {
        symbols: ['AAPL'],
        channel: 'candles',
        interval: '1m',
        encoding: 'compact',
      }),
    ).resolves.toMatchObject({
      ok: false,
      error: { details: { problems: ['encoding applies only to the ticks channel'] } },
    });
    expect(s.connected).toBe(true);
  });
});
