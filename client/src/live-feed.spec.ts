import type { Snapshot } from '../../src/contracts';
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
});
