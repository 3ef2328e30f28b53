import { jest } from '@jest/globals';
import type { Instrument } from '../../src/contracts';
import { ApiError } from './api';
import { CatalogLoader } from './catalog-loader';
import { Lifetime } from './lifetime';
import { parsePrefs } from './preferences';
import { DashboardStore } from './store';
import { CATALOG } from './test-fixtures';

const settle = () => new Promise((r) => setTimeout(r, 0));

function makeLoader(answers: Array<Instrument[] | Error>, watchlist = ['AAPL', 'GONE']) {
  const store = new DashboardStore({ ...parsePrefs(null), watchlist, selected: watchlist[0] });
  const life = new Lifetime();
  let loaded = 0;
  let calls = 0;
  const api = {
    instruments: async () => {
      const a = answers[Math.min(calls++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return a;
    },
  };
  const sut = new CatalogLoader(api, store, life, () => loaded++);
  return { sut, store, life, loaded: () => loaded, calls: () => calls };
}

describe('CatalogLoader', () => {
  it('explains a failure, offers a retry, and clears the message once the list arrives', async () => {
    const down = new ApiError('Could not load the instrument list: Maintenance (503).', 503);
    const { sut, store, life, loaded, calls } = makeLoader([down, CATALOG], ['AAPL']);
    sut.start();
    await settle();
    expect(store.message).toEqual({
      id: 'catalog-failed',
      kind: 'error',
      text: 'Could not load the instrument list: Maintenance (503). Retrying in 2 s.',
      action: 'retry',
    });
    expect(loaded()).toBe(0);
    sut.retryNow();
    expect(store.message?.id).toBe('catalog-loading');
    sut.retryNow(); // already under way: no second request
    await settle();
    expect(calls()).toBe(2);
    expect(store.message).toBeNull();
    expect(store.hasCatalog).toBe(true);
    expect(loaded()).toBe(1);
    life.destroy();
  });

  it('does not retry a refused request on its own: it waits for a new key (retryNow)', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const refused = new ApiError(
        'Could not load the instrument list: no key (401).',
        401,
        'UNAUTHORIZED',
      );
      const { sut, store, life, loaded, calls } = makeLoader([refused, CATALOG], ['AAPL']);
      sut.start();
      await jest.advanceTimersByTimeAsync(0);
      expect(store.message).toEqual({
        id: 'auth-required',
        kind: 'error',
        text: 'This server needs an API key to show market data.',
      });
      await jest.advanceTimersByTimeAsync(120_000);
      expect(calls()).toBe(1);
      sut.retryNow(); // a key was entered
      await jest.advanceTimersByTimeAsync(0);
      expect(calls()).toBe(2);
      expect(loaded()).toBe(1);
      expect(store.message).toBeNull();
      life.destroy();
    } finally {
      jest.useRealTimers();
    }
  });

  it('says which saved symbols the catalog no longer lists', async () => {
    const { sut, store, life } = makeLoader([CATALOG]);
    sut.start();
    await settle();
    expect(store.message).toMatchObject({
      id: 'catalog-dropped',
      kind: 'info',
      text: 'No longer listed, removed from your watchlist: GONE.',
    });
    expect(store.watchlist).toEqual(['AAPL']);
    life.destroy();
  });

  it('backs off, and words a failure that is not an ApiError', async () => {
    const { sut, store, life } = makeLoader([new Error('boom')]);
    sut.start();
    await settle();
    expect(store.message?.text).toBe('The instrument list failed to load. Retrying in 2 s.');
    sut.retryNow();
    await settle();
    expect(store.message?.text).toBe('The instrument list failed to load. Retrying in 4 s.');
    life.destroy();
  });
});
