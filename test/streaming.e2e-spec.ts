import type { SubscribeAck, SubscriptionsAck, Tick } from '../src/contracts';
import { connect, startApp, waitFor, type TestApp, type TestSocket } from './support/app';

describe('Streaming gateway (e2e)', () => {
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

  it("acknowledges a subscription with the socket's subscriptions", async () => {
    const s = await client();
    const ack: SubscribeAck = await s.emitWithAck('subscribe', { symbols: ['aapl', 'MSFT'] });
    expect(ack.ok).toBe(true);
    if (!ack.ok) return;
    expect(ack.subscriptions.map((x) => x.symbol).sort()).toEqual(['AAPL', 'MSFT']);
  });

  it('streams ticks only for subscribed symbols (room isolation)', async () => {
    const a = await client();
    const b = await client();
    const gotA: Tick[] = [];
    const gotB: Tick[] = [];
    a.on('ticks', (ts) => gotA.push(...ts));
    b.on('ticks', (ts) => gotB.push(...ts));
    await a.emitWithAck('subscribe', { symbols: ['AAPL'] });
    await b.emitWithAck('subscribe', { symbols: ['BTCUSD', 'EURUSD'] });
    await waitFor(() => gotA.length >= 5 && gotB.length >= 5, 10000, 'ticks on both sockets');
    expect(new Set(gotA.map((t) => t.symbol))).toEqual(new Set(['AAPL']));
    expect(
      [...new Set(gotB.map((t) => t.symbol))].every((s) => ['BTCUSD', 'EURUSD'].includes(s)),
    ).toBe(true);
    for (const t of gotA) {
      expect(t.bid).toBeLessThan(t.ask);
      expect(typeof t.seq).toBe('number');
    }
  });

  it('stops sending a symbol after unsubscribe', async () => {
    const s = await client();
    const got: Tick[] = [];
    s.on('ticks', (ts) => got.push(...ts));
    await s.emitWithAck('subscribe', { symbols: ['AAPL', 'NVDA'] });
    const ack: SubscriptionsAck = await s.emitWithAck('unsubscribe', { symbols: ['AAPL'] });
    expect(ack).toEqual({
      ok: true,
      subscriptions: [expect.objectContaining({ symbol: 'NVDA', channel: 'ticks' })],
    });
    await new Promise((r) => setTimeout(r, 50)); // let frames already in flight arrive
    got.length = 0;
    await waitFor(() => got.length >= 5, 10000, 'NVDA ticks');
    expect(got.every((t) => t.symbol === 'NVDA')).toBe(true);
  });

  it('rejects an unknown symbol and subscribes nothing', async () => {
    const s = await client();
    const ack: SubscribeAck = await s.emitWithAck('subscribe', { symbols: ['AAPL', 'NOPE'] });
    expect(ack).toMatchObject({ ok: false, error: { code: 'UNKNOWN_SYMBOL' } });
    if (ack.ok) return;
    expect(ack.error.message).toContain('NOPE');
  });

  it.each([
    ['a string', 'AAPL'],
    ['a number', 42],
    ['null', null],
    ['symbols not an array', { symbols: 'AAPL' }],
    ['symbols of numbers', { symbols: [1, 2] }],
    ['an empty list', { symbols: [] }],
  ])(
    'answers a malformed payload (%s) with INVALID_PAYLOAD and stays connected',
    async (_, payload) => {
      const s = await client();
      const ack: SubscribeAck = await (
        s.emitWithAck as (e: string, p: unknown) => Promise<SubscribeAck>
      )('subscribe', payload);
      expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      const again: SubscribeAck = await s.emitWithAck('subscribe', { symbols: ['AAPL'] });
      expect(again.ok).toBe(true);
      expect(s.connected).toBe(true);
    },
  );
});
