import { Catalog } from './catalog';
import { ChangeTracker } from './changes';
import { parsePrefs, type Prefs } from './preferences';
import type { Quote } from './quote';
import { CATALOG, manualClock } from './test-fixtures';
import { RESORT_MS, Watchlist } from './watchlist';

function makeWatchlist(watchlist = ['AAPL', 'MSFT', 'NVDA'], selected = watchlist[0] ?? null) {
  const clock = manualClock();
  const catalog = new Catalog();
  const changes = new ChangeTracker();
  const quotes = new Map<string, Pick<Quote, 'last' | 'prevClose' | 'bid' | 'ask'>>();
  const prefs: Prefs = { ...parsePrefs(null), watchlist, selected };
  const sut = new Watchlist(prefs, {
    catalog,
    changes,
    quoteOf: (s) => quotes.get(s) as Quote | undefined,
    now: clock.now,
  });
  const price = (symbol: string, last: number) =>
    quotes.set(symbol, { last, prevClose: 100, bid: last - 0.01, ask: last + 0.01 });
  return { sut, catalog, changes, price, ...clock };
}

function loaded(watchlist?: string[]) {
  const made = makeWatchlist(watchlist);
  made.catalog.set(CATALOG);
  made.sut.pruneUnlisted();
  made.changes.take();
  return made;
}

describe('Watchlist', () => {
  it('drops symbols the catalog no longer lists, and the selection with them', () => {
    const { sut, catalog, changes } = makeWatchlist(['AAPL', 'GONE'], 'GONE');
    catalog.set(CATALOG);
    expect(sut.pruneUnlisted()).toEqual(['GONE']);
    expect(sut.symbols).toEqual(['AAPL']);
    expect(sut.selected).toBe('AAPL');
    expect(changes.take()).toMatchObject({ rows: true, selection: true });
  });

  it('adds catalog symbols once, removes them, and reports every change for saving', () => {
    const { sut, changes } = loaded();
    const saved: Prefs[] = [];
    const off = sut.onPrefs((p) => saved.push(p));
    expect(sut.add('tsla')).toBe(true);
    expect(sut.add('TSLA')).toBe(false);
    expect(sut.add('NOPE')).toBe(false);
    expect(sut.symbols).toEqual(['AAPL', 'MSFT', 'NVDA', 'TSLA']);
    expect(sut.remove('MSFT')).toBe(true);
    expect(sut.remove('MSFT')).toBe(false);
    expect(sut.symbols).toEqual(['AAPL', 'NVDA', 'TSLA']);
    expect(saved.map((p) => p.watchlist.length)).toEqual([4, 3]);
    off();
    sut.add('META');
    expect(saved).toHaveLength(2);
    expect(changes.take().rows).toBe(true);
  });

  it('moves the selection to the neighbour when the selected symbol is removed', () => {
    const { sut } = loaded();
    sut.select('MSFT');
    sut.remove('MSFT');
    expect(sut.selected).toBe('NVDA');
    sut.remove('NVDA');
    expect(sut.selected).toBe('AAPL');
    sut.remove('AAPL');
    expect(sut.selected).toBeNull();
    sut.add('TSLA');
    expect(sut.selected).toBe('TSLA');
  });

  it('selects only watched symbols and known intervals', () => {
    const { sut, changes } = loaded();
    sut.select('TSLA');
    sut.setInterval('2m' as never);
    expect(changes.take().selection).toBe(false);
    sut.select('NVDA');
    sut.setInterval('5m');
    expect(changes.take().selection).toBe(true);
    expect(sut.getPrefs()).toMatchObject({ selected: 'NVDA', interval: '5m' });
  });

  it('reorders, and a move in a sorted table starts from the order shown', () => {
    const { sut } = loaded();
    expect(sut.move('NVDA', -1)).toBe(true);
    expect(sut.symbols).toEqual(['AAPL', 'NVDA', 'MSFT']);
    expect(sut.move('AAPL', -1)).toBe(false);
    sut.toggleSort('symbol'); // AAPL MSFT NVDA
    sut.move('AAPL', 1);
    expect(sut.symbols).toEqual(['MSFT', 'AAPL', 'NVDA']);
    expect(sut.sort.key).toBeNull();
  });

  it('cycles a column through its directions and back to the manual order', () => {
    const { sut } = loaded();
    sut.toggleSort('last');
    expect(sut.sort).toEqual({ key: 'last', dir: -1 });
    sut.toggleSort('last');
    expect(sut.sort).toEqual({ key: 'last', dir: 1 });
    sut.toggleSort('last');
    expect(sut.sort).toEqual({ key: null, dir: 1 });
    sut.toggleSort('name');
    expect(sut.sort).toEqual({ key: 'name', dir: 1 });
  });

  it('sorts by live values, unknown last, re-sorting at most once per interval', () => {
    const { sut, price, advance } = loaded();
    price('AAPL', 100);
    price('MSFT', 120);
    sut.toggleSort('changePct');
    expect(sut.order()).toEqual(['MSFT', 'AAPL', 'NVDA']);
    price('AAPL', 130);
    expect(sut.order()).toEqual(['MSFT', 'AAPL', 'NVDA']);
    expect(sut.resortDue()).toBe(false);
    advance(RESORT_MS);
    expect(sut.resortDue()).toBe(true);
    expect(sut.order()).toEqual(['AAPL', 'MSFT', 'NVDA']);
    sut.toggleSort('changePct');
    expect(sut.order()).toEqual(['MSFT', 'AAPL', 'NVDA']);
  });
});
