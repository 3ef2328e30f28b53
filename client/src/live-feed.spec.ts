import type { Notice, Snapshot } from '../../src/contracts';
import { ApiError } from './api';
import { Lifetime } from './lifetime';
import { LiveFeed } from './live-feed';
import { parsePrefs } from './preferences';
import type { MarketStream, StreamHandlers, StreamOptions } from './socket';
import { DashboardStore } from './store';
import { CATALOG, snap } from './test-fixtures';

function makeFeed(latest: (symbols: readonly string[]) => Promise<Snapshot[]>) {
  const store = new DashboardStore({ ...parsePrefs(null), watchlist: ['AAPL', 'MSFT'] });
  store.setCatalog(CATALOG);
  const life = new Lifetime();
  let handlers!: StreamHandlers;
  const calls: string[] = [];
  const stream: MarketStream = {
    setSymbols: (s) => calls.push(`symbols ${s.join()}`),
    setFocus: (s) => calls.push(`focus ${s}`),
    setCandles: (sel) => calls.push(`candles ${sel?.symbol} ${sel?.interval}`),
    isConnected: true,
    reconnect: () => calls.push('reconnect'),
    close: () => calls.push('close'),
  };
  const reloads: string[] = [];
  const sut = new LiveFeed({
    openStream: (opts: StreamOptions) => {
      handlers = opts.handlers;
      return stream;
    },
    mode: 'conflated',
    api: { latestQuotes: latest },
    store,
    panel: { reload: () => reloads.push('reload'), live: () => undefined, liveStatus: () => {} },
    sparks: { load: () => undefined },
    life,
  });
  sut.open();
  return { sut, store, life, calls, reloads, handlers: () => handlers };
}

describe('LiveFeed', () => {
  it('opens once, on the watchlist, the selection and its candles', () => {
    const { sut, calls, life } = makeFeed(async () => []);
    sut.open();
    expect(calls).toEqual(['focus AAPL', 'symbols AAPL,MSFT', 'candles AAPL 1m']);
    life.destroy();
    expect(calls.at(-1)).toBe('close');
  });

  it("puts the server's notices in the message bar by kind", () => {
    const { store, handlers, life } = makeFeed(async () => []);
    const h = handlers();
    h.notice({
      type: 'conflated',
      reason: 'slow_consumer',
      message: 'slow',
      symbols: ['AAPL'],
      throttleMs: 250,
    });
    expect(store.message).toMatchObject({ id: 'conflated', kind: 'info' });
    h.notice({ type: 'shutdown', message: 'deploying' });
    expect(store.message).toMatchObject({
      id: 'server-leaving',
      text: 'The server is restarting: deploying',
    });
    h.notice({ type: 'disconnecting', reason: 'flood', message: 'too many requests' });
    expect(store.message?.text).toBe('The server is restarting: too many requests');
    h.connected(true);
    expect(store.message).toBeNull();
    life.destroy();
  });

  it('clears errors on connect but keeps what still holds', () => {
    const { store, handlers, reloads, life } = makeFeed(async () => []);
    const h = handlers();
    h.connectError('xhr poll error');
    expect(store.message).toMatchObject({ id: 'stream-failed', kind: 'error' });
    h.connected(false);
    expect(store.message).toBeNull();
    expect(reloads).toEqual([]);
    h.synthetic();
    h.disconnected('transport close');
    h.connectError('later'); // once connected, the badge says it
    h.connected(true);
    expect(store.message?.id).toBe('synthetic');
    expect(reloads).toEqual(['reload']);
    life.destroy();
  });

  it('says the stream needs a key instead of "retrying", reconnects on request, clears it once connected', () => {
    const asked: string[][] = [];
    const { sut, store, handlers, calls, life } = makeFeed(async (symbols) => {
      asked.push([...symbols]);
      return [];
    });
    const h = handlers();
    h.unauthorized('A valid API key is required.');
    expect(store.message).toEqual({
      id: 'auth-required',
      kind: 'error',
      text: 'This server needs an API key to show market data.',
    });
    sut.reconnect();
    expect(calls.at(-1)).toBe('reconnect');
    expect(asked).toEqual([['AAPL', 'MSFT']]); // the stream is up: quotes come again over REST
    h.connected(false);
    expect(store.message).toBeNull();
    life.destroy();
  });

  it('reloads what the server could not resume, and says so when that fails', async () => {
    const asked: string[][] = [];
    let fail = false;
    const { store, handlers, life } = makeFeed(async (symbols) => {
      asked.push([...symbols]);
      if (fail) throw new ApiError('The server is unreachable.', 0);
      return [snap('AAPL', 7, 101)];
    });
    const h = handlers();
    h.unresumable(['AAPL']);
    await new Promise((r) => setTimeout(r, 0));
    expect(store.quotes.get('AAPL')?.seq).toBe(7);
    fail = true;
    h.unresumable(['AAPL', 'MSFT']);
    await new Promise((r) => setTimeout(r, 0));
    expect(store.message).toMatchObject({
      id: 'quotes-failed',
      text: 'The server is unreachable. Prices for AAPL, MSFT may have missed updates.',
    });
    expect(asked).toEqual([['AAPL'], ['AAPL', 'MSFT']]);
    life.destroy();
  });

  it('shows the serving node the acknowledgements name, per connection', () => {
    const { store, handlers, life } = makeFeed(async () => []);
    const h = handlers();
    h.connected(false);
    h.node('node-1');
    expect(store.node).toBe('node-1');
    h.disconnected('transport close');
    expect(store.node).toBeNull();
    h.connected(true);
    h.node('node-2');
    expect(store.node).toBe('node-2');
    life.destroy();
  });

  it('pauses on stalled, says why, and resumes on recovered without resubscribing', () => {
    const { store, handlers, calls, reloads, life } = makeFeed(async () => []);
    const h = handlers();
    h.connected(false);
    calls.length = 0;
    h.notice({ type: 'stalled', message: 'A new feed node is taking over.' });
    expect(store.connection).toBe('paused');
    expect(store.pauseMessage).toBe('A new feed node is taking over.');
    expect(store.message).toMatchObject({
      id: 'stalled',
      kind: 'info',
      text: 'Prices paused: A new feed node is taking over.',
    });
    h.notice({ type: 'recovered', message: 'Prices are flowing again.' });
    expect(store.connection).toBe('live');
    expect(store.message).toBeNull();
    expect(calls).toEqual([]); // the server kept the subscriptions
    expect(reloads).toEqual([]);
    life.destroy();
  });

  it('clears a pause the last connection left when the stream reconnects', () => {
    const { store, handlers, life } = makeFeed(async () => []);
    const h = handlers();
    h.connected(false);
    h.notice({ type: 'stalled', message: '' });
    expect(store.pauseMessage).toBe('The server has stopped sending prices for now.');
    h.disconnected('transport close');
    h.connected(true);
    expect(store.connection).toBe('resumed');
    expect(store.message).toBeNull();
    life.destroy();
  });

  it('ignores a notice type it does not know', () => {
    const { store, handlers, life } = makeFeed(async () => []);
    const h = handlers();
    h.connected(false);
    const unknown = { type: 'rebalanced', message: 'moved' } as unknown as Notice;
    expect(() => h.notice(unknown)).not.toThrow();
    expect(store.connection).toBe('live');
    expect(store.message).toBeNull();
    life.destroy();
  });
});
