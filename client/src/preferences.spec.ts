import { DEFAULT_WATCHLIST } from '../../src/contracts';
import {
  loadPrefs,
  parsePrefs,
  PREFS_KEY,
  savePrefs,
  serializePrefs,
  type Prefs,
  type PrefsStorage,
} from './preferences';

describe('preferences', () => {
  it('gives a first visit the default watchlist', () => {
    const p = parsePrefs(null);
    expect(p.watchlist).toEqual(DEFAULT_WATCHLIST);
    expect(p.selected).toBe('AAPL');
    expect(p.interval).toBe('1m');
    expect(p.sort).toEqual({ key: null, dir: 1 });
  });

  it('round-trips through storage', () => {
    const p: Prefs = {
      watchlist: ['TSLA', 'AAPL'],
      selected: 'AAPL',
      interval: '5m',
      sort: { key: 'changePct', dir: -1 },
    };
    expect(parsePrefs(serializePrefs(p))).toEqual(p);
    const memory = new Map<string, string>();
    const storage: PrefsStorage = {
      getItem: (k) => memory.get(k) ?? null,
      setItem: (k, v) => void memory.set(k, v),
    };
    savePrefs(storage, p);
    expect([...memory.keys()]).toEqual([PREFS_KEY]);
    expect(loadPrefs(storage)).toEqual(p);
  });

  it('survives corrupt or hostile stored values field by field', () => {
    expect(parsePrefs('{not json').watchlist).toEqual(DEFAULT_WATCHLIST);
    const p = parsePrefs(
      JSON.stringify({
        watchlist: ['aapl', 'AAPL', 42, '', 'x'.repeat(40), 'msft'],
        selected: 'NOPE',
        interval: '2m',
        sort: { key: 'evil', dir: 7 },
      }),
    );
    expect(p.watchlist).toEqual(['AAPL', 'MSFT']);
    expect(p.selected).toBe('AAPL');
    expect(p.interval).toBe('1m');
    expect(p.sort).toEqual({ key: null, dir: 1 });
    expect(parsePrefs(JSON.stringify({ watchlist: [] })).selected).toBeNull();
  });

  it('falls back to the defaults, and goes on unsaved, when storage is blocked', () => {
    const blocked: PrefsStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(loadPrefs(blocked).watchlist).toEqual(DEFAULT_WATCHLIST);
    expect(() => savePrefs(blocked, parsePrefs(null))).not.toThrow();
    expect(loadPrefs(null).watchlist).toEqual(DEFAULT_WATCHLIST);
  });
});
