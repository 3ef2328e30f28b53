import type { Notice, SubscribeAck } from '../src/contracts';
import { InstrumentsService } from '../src/instruments/instruments.service';
import { StreamingGateway } from '../src/streaming/streaming.gateway';
import { RawClient } from './support/raw-client';
import { connect, startApp, waitFor, type FakeFeedApp } from './support/app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `pump` (bursts of ticks), then lets a batch window or so pass, until `done` holds;
 * rejects after `ms`.
 */
async function pumpUntil(
  pump: () => void,
  done: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    pump();
    await sleep(30);
  }
}

describe('Stream limits (e2e)', () => {
  let sut: FakeFeedApp;
  beforeAll(async () => {
    sut = await startApp({ MAX_SUBSCRIPTIONS: '5' }, { fakeFeed: true });
  });
  afterAll(() => sut.close());

  it('LIMIT_EXCEEDED past the per-connection subscription limit; nothing is subscribed', async () => {
    const s = await connect(sut.url);
    const ok = await s.emitWithAck('subscribe', { symbols: ['AAPL', 'MSFT', 'NVDA'] });
    expect(ok.ok).toBe(true);
    const ack: SubscribeAck = await s.emitWithAck('subscribe', { symbols: ['TSLA', 'SPY', 'QQQ'] });
    expect(ack).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    if (!ack.ok) expect(ack.error.message).toMatch(/limit is 5/);
    const list = await (
      s.emitWithAck as unknown as (e: string) => Promise<{ subscriptions: unknown[] }>
    )('subscriptions');
    expect(list.subscriptions).toHaveLength(3);
    s.disconnect();
  });

  it('keeps serving other clients while one is stalled', async () => {
    const stalled = await RawClient.connect(sut.url);
    await stalled.emitWithAck('subscribe', { symbols: ['AAPL', 'MSFT'] });
    stalled.pause();
    const s = await connect(sut.url);
    let count = 0;
    s.on('ticks', (ts) => (count += ts.length));
    await s.emitWithAck('subscribe', { symbols: ['AAPL'] });
    sut.feed.emit('AAPL', 60);
    await waitFor(() => count > 50, 10_000, 'ticks on a healthy client');
    s.disconnect();
    stalled.close();
  });
});

describe('Slow consumers (e2e)', () => {
  let sut: FakeFeedApp;
  beforeAll(async () => {
    // The clock lags so that the test can move it on by a conflation throttle per burst.
    sut = await startApp({ SLOW_CLIENT_BYTES: '16384' }, { fakeFeed: { lagMs: 600_000 } });
  });
  afterAll(() => sut.close());

  it('conflates a client that stops reading and tells it so, then disconnects it if it never reads; server memory stays bounded', async () => {
    const gateway = sut.app.get(StreamingGateway);
    const before = gateway.stats();
    const raw = await RawClient.connect(sut.url);
    const all = sut.app.get(InstrumentsService).symbols();
    const ack = (await raw.emitWithAck('subscribe', { symbols: all })) as SubscribeAck;
    expect(ack.ok).toBe(true);
    const heapBefore = process.memoryUsage().heapUsed;
    raw.pause();
    // Bursts of every symbol, each with a conflation throttle's worth of the app's clock: the
    // kernel's socket buffers fill first; then the server's own buffer passes the bound.
    const burst = () => {
      sut.feed.tickAll(100);
      sut.clock.advance(250);
    };
    await pumpUntil(
      burst,
      () => gateway.stats().conflatedClients > before.conflatedClients,
      20_000,
      'conflation',
    );
    await pumpUntil(
      burst,
      () => gateway.stats().droppedClients > before.droppedClients,
      20_000,
      'the drop',
    );
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
    raw.resume();
    await waitFor(() => raw.closed, 10_000, 'the connection to close');
    const notices = raw.events.filter(([e]) => e === 'notice').map(([, n]) => n as Notice);
    expect(notices.map((n) => n.type)).toEqual(
      expect.arrayContaining(['conflated', 'disconnecting']),
    );
    expect(notices.find((n) => n.type === 'conflated')).toMatchObject({
      reason: 'slow_consumer',
      throttleMs: 250,
    });
  }, 60_000);
});
