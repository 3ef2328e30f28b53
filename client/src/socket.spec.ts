// The stream against a real Socket.IO server in this process: what the acknowledgements and
// notices of a (cluster-mode) server make of the handlers.
import { Server, type Socket } from 'socket.io';
import type { Notice, SubscribeRequest } from '../../src/contracts';
import { createStream, nodeOf, type MarketStream, type StreamHandlers } from './socket';

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
    connectError: () => undefined,
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
