// The stream against a real Socket.IO server in this process: what the acknowledgements and
// notices of a (cluster-mode) server make of the handlers.
import { Server, type Socket } from 'socket.io';
import type { CompactFrame, Notice, SubscribeRequest, Tick } from '../../src/contracts';
import { AuthGate } from './auth';
import { KeyStore } from './key-store';
import {
  createStream,
  handshakeAuth,
  nodeOf,
  unauthorizedReason,
  type MarketStream,
  type StreamHandlers,
} from './socket';

/** Resolves once `check` holds, polling; fails after `ms`. */
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function recorder() {
  const events: string[] = [];
  const handlers: StreamHandlers = {
    connected: (reconnect) => events.push(reconnect ? 'reconnected' : 'connected'),
    disconnected: () => events.push('disconnected'),
    connectError: (msg) => events.push(`connect_error ${msg}`),
    unauthorized: (msg) => events.push(`unauthorized ${msg}`),
    snapshots: () => undefined,
    unresumable: () => undefined,
    node: (node) => events.push(`node ${node}`),
    ticks: () => undefined,
    candles: () => undefined,
    candleStatus: () => undefined,
    notice: (n) => events.push(`notice ${n.type}`),
    synthetic: () => undefined,
    subscribeFailed: (msg) => events.push(`failed ${msg}`),
    modes: () => undefined,
  };
  return { events, handlers };
}

describe('nodeOf', () => {
  it('takes a named node, and nothing else', () => {
    expect(nodeOf({ node: 'node-2' })).toBe('node-2');
    expect(nodeOf({})).toBeNull();
    expect(nodeOf({ node: '' })).toBeNull();
    expect(nodeOf({ node: 7 })).toBeNull();
  });
});

describe('handshakeAuth and unauthorizedReason', () => {
  it('puts a key in the handshake as {token}, and nothing without one', () => {
    expect(handshakeAuth('k')).toEqual({ token: 'k' });
    expect(handshakeAuth(null)).toEqual({});
  });

  it("recognises the server's credential refusal by data.code, and only that", () => {
    const refusal = Object.assign(new Error('fallback'), {
      data: { code: 'UNAUTHORIZED', message: 'A valid API key is required.' },
    });
    expect(unauthorizedReason(refusal)).toBe('A valid API key is required.');
    const bare = Object.assign(new Error('fallback'), { data: { code: 'UNAUTHORIZED' } });
    expect(unauthorizedReason(bare)).toBe('fallback');
    expect(unauthorizedReason(new Error('xhr poll error'))).toBeNull();
    const limit = Object.assign(new Error('x'), { data: { code: 'LIMIT_EXCEEDED' } });
    expect(unauthorizedReason(limit)).toBeNull();
  });
});

describe('createStream', () => {
  let server: Server;
  let url: string;
  let stream: MarketStream | null = null;
  /** What the next acknowledgement names as the serving node. */
  let node: string | undefined;
  const subscribes: SubscribeRequest[] = [];
  const sockets: Socket[] = [];

  beforeEach(async () => {
    node = undefined;
    subscribes.length = 0;
    sockets.length = 0;
    server = new Server();
    server.on('connection', (socket) => {
      sockets.push(socket);
      socket.on('subscribe', (req: SubscribeRequest, ack: (a: unknown) => void) => {
        subscribes.push(req);
        ack({ ok: true, subscriptions: [], snapshot: [], ...(node ? { node } : {}) });
      });
    });
    server.listen(0);
    await until(() => server.httpServer.listening);
    const addr = server.httpServer.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterEach(async () => {
    stream?.close();
    stream = null;
    await new Promise((r) => server.close(() => r(undefined)));
  });

  function open(handlers: StreamHandlers): MarketStream {
    stream = createStream({ url, mode: 'full', resumePoints: () => ({}), handlers });
    stream.setSymbols(['AAPL']);
    return stream;
  }

  it('subscribes with the compact encoding and hands decoded ticks on; JSON on request', async () => {
    const got: Tick[] = [];
    const { handlers } = recorder();
    handlers.ticks = (ticks) => got.push(...ticks);
    open(handlers);
    await until(() => subscribes.length === 1);
    expect(subscribes[0]).toMatchObject({ symbols: ['AAPL'], mode: 'full', encoding: 'compact' });
    const frame: CompactFrame = [
      [
        'AAPL',
        [7, 1000, 189.5, 189.52, 300, 500, 189.52, 100, 1200, 2],
        5,
        -3,
        1,
        0,
        200,
        400,
        100,
      ],
    ];
    sockets[0].emit('t', frame);
    await until(() => got.length === 2);
    expect(got).toEqual([
      {
        symbol: 'AAPL',
        seq: 7,
        ts: 1000,
        bid: 189.5,
        ask: 189.52,
        bidSize: 300,
        askSize: 500,
        last: 189.52,
        size: 100,
        volume: 1200,
      },
      {
        symbol: 'AAPL',
        seq: 8,
        ts: 1005,
        bid: 189.47,
        ask: 189.5,
        bidSize: 200,
        askSize: 400,
        last: 189.47,
        size: 100,
        volume: 1300,
      },
    ]);
    stream?.close();
    stream = createStream({
      url,
      mode: 'full',
      encoding: 'json',
      resumePoints: () => ({}),
      handlers,
    });
    stream.setSymbols(['MSFT']);
    await until(() => subscribes.length === 2);
    expect(subscribes[1]).not.toHaveProperty('encoding');
  });

  it('starts again from keyframes, resuming, when a frame cannot be decoded', async () => {
    const { handlers } = recorder();
    stream = createStream({
      url,
      mode: 'full',
      resumePoints: () => ({ AAPL: 41 }),
      handlers,
    });
    stream.setSymbols(['AAPL']);
    await until(() => subscribes.length === 1);
    sockets[0].emit('t', [['AAPL', 1, 2, 3, 4, 5, 6, 7]]); // a delta with no keyframe before it
    await until(() => subscribes.length === 2);
    expect(subscribes[1]).toMatchObject({ symbols: ['AAPL'], resume: { AAPL: 41 } });
  });

  it("reports the node each connection's acknowledgement names, and none without one", async () => {
    const { events, handlers } = recorder();
    node = 'node-1';
    open(handlers);
    await until(() => events.includes('node node-1'));
    node = 'node-2';
    sockets[0].disconnect(true); // the stream reconnects by itself, here to "another node"
    await until(() => events.includes('node node-2'));
    node = undefined;
    sockets[1].disconnect(true);
    await until(() => events.filter((e) => e === 'reconnected').length === 2);
    await until(() => events.at(-1) === 'node null');
    expect(events).toEqual([
      'connected',
      'node node-1',
      'disconnected',
      'reconnected',
      'node node-2',
      'disconnected',
      'reconnected',
      'node null',
    ]);
  });

  it('passes stalled, recovered and unknown notices on without resubscribing', async () => {
    const { events, handlers } = recorder();
    node = 'node-1';
    const s = open(handlers);
    await until(() => events.includes('node node-1'));
    const notices: unknown[] = [
      { type: 'stalled', message: 'The feed is moving to another node.' },
      { type: 'rebalanced', message: 'not a notice this page knows' },
      null,
      { type: 'recovered', message: 'Ticks flow again.' },
    ];
    for (const n of notices) sockets[0].emit('notice', n as Notice);
    await until(() => events.includes('notice recovered'));
    expect(events).toEqual([
      'connected',
      'node node-1',
      'notice stalled',
      'notice rebalanced',
      'notice recovered',
    ]);
    expect(s.isConnected).toBe(true);
    expect(subscribes).toHaveLength(1);
  });
});

describe('createStream against a server that wants a key', () => {
  const GOOD = 'test-key-0123456789abcdef';
  let server: Server;
  let url: string;
  let stream: MarketStream | null = null;
  /** The handshake's auth.token of every connection attempt, and the URLs they used. */
  const tokens: Array<string | null> = [];
  const urls: string[] = [];

  beforeEach(async () => {
    tokens.length = 0;
    urls.length = 0;
    server = new Server();
    server.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: string }).token ?? null;
      tokens.push(token);
      urls.push(socket.handshake.url);
      if (token === GOOD) return next();
      const err = Object.assign(new Error('A valid API key is required.'), {
        data: { code: 'UNAUTHORIZED', message: 'A valid API key is required.' },
      });
      next(err);
    });
    server.on('connection', (socket) => {
      socket.on('subscribe', (_req: SubscribeRequest, ack: (a: unknown) => void) =>
        ack({ ok: true, subscriptions: [], snapshot: [] }),
      );
    });
    server.listen(0);
    await until(() => server.httpServer.listening);
    const addr = server.httpServer.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterEach(async () => {
    stream?.close();
    stream = null;
    await new Promise((r) => server.close(() => r(undefined)));
  });

  it('reads the current key at each connect, stops on a refusal, and connects with a new key', async () => {
    const { events, handlers } = recorder();
    const auth = new AuthGate(new KeyStore(null));
    stream = createStream({
      url,
      mode: 'full',
      resumePoints: () => ({}),
      handlers,
      credentials: auth,
    });
    stream.setSymbols(['AAPL']);
    await until(() => events.length === 1);
    expect(events).toEqual(['unauthorized A valid API key is required.']);
    expect(auth.view.state).toBe('asking');
    // No blind retries: Socket.IO would have tried again within its 0.5 s delay.
    await new Promise((r) => setTimeout(r, 1_200));
    expect(tokens).toEqual([null]);

    auth.submit('wrong-key');
    stream.reconnect();
    await until(() => events.length === 2);
    expect(auth.view.state).toBe('refused');

    auth.submit(GOOD);
    stream.reconnect();
    await until(() => events.includes('connected'));
    expect(auth.view).toEqual({ state: 'open', dismissed: false, hasKey: true });
    expect(tokens).toEqual([null, 'wrong-key', GOOD]);
    for (const u of urls) expect(u).not.toContain('key');
    expect(events.filter((e) => e.startsWith('connect_error'))).toEqual([]);
  });
});
