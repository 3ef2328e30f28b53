import type { Instrument, Snapshot, Tick } from '../../src/contracts';
import {
  DashboardStore,
  DEFAULT_WATCHLIST,
  parsePrefs,
  RESORT_MS,
  RESUMED_MS,
  searchInstruments,
  serializePrefs,
  STALE_MS,
  type Prefs,
} from './store';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 2, 12, 14, 0, 0);

function inst(symbol: string, name = `${symbol} Inc.`): Instrument {
  return {
    symbol,
    name,
    assetClass: 'equity',
    currency: 'USD',
    exchange: 'NASDAQ',
    tickSize: 0.01,
    pricePrecision: 2,
  };
}

const CATALOG = [
  inst('AAPL', 'Apple Inc.'),
  inst('MSFT', 'Microsoft Corporation'),
  inst('NVDA', 'NVIDIA Corporation'),
  inst('TSLA', 'Tesla, Inc.'),
  inst('META', 'Meta Platforms, Inc.'),
];

function tick(symbol: string, seq: number, last: number, ts = T0 + seq): Tick {
  return {
    symbol,
    seq,
    ts,
    bid: last - 0.01,
    ask: last + 0.01,
    last,
    size: 100,
    volume: seq * 100,
  };
}

function snap(symbol: string, seq: number, last: number, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    ...tick(symbol, seq, last),
    open: 100,
    high: Math.max(105, last),
    low: Math.min(95, last),
    prevClose: 100,
    change: last - 100,
    changePct: last - 100,
    ...extra,
  };
}

function makeStore(watchlist = ['AAPL', 'MSFT', 'NVDA']) {
  let now = T0;
  const prefs: Prefs = { ...parsePrefs(null), watchlist, selected: watchlist[0] ?? null };
  const sut = new DashboardStore(prefs, () => now);
  sut.setCatalog(CATALOG);
  sut.takeDirty();
  return {
    sut,
    advance: (ms: number) => (now += ms),
    at: () => now,
  };
}

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
});

describe('watchlist', () => {
  it('drops symbols the catalog no longer lists', () => {
    const sut = new DashboardStore({
      ...parsePrefs(null),
      watchlist: ['AAPL', 'GONE'],
      selected: 'GONE',
    });
    expect(sut.setCatalog(CATALOG)).toEqual(['GONE']);
    expect(sut.watchlist).toEqual(['AAPL']);
    expect(sut.selected).toBe('AAPL');
  });

  it('adds catalog symbols once, removes them, and reports every change for saving', () => {
    const { sut } = makeStore();
    const saved: Prefs[] = [];
    const off = sut.onPrefs((p) => saved.push(p));
    expect(sut.add('tsla')).toBe(true);
    expect(sut.add('TSLA')).toBe(false);
    expect(sut.add('NOPE')).toBe(false);
    expect(sut.watchlist).toEqual(['AAPL', 'MSFT', 'NVDA', 'TSLA']);
    expect(sut.remove('MSFT')).toBe(true);
    expect(sut.watchlist).toEqual(['AAPL', 'NVDA', 'TSLA']);
    expect(saved.map((p) => p.watchlist.length)).toEqual([4, 3]);
    off();
    sut.add('META');
    expect(saved).toHaveLength(2);
    expect(sut.takeDirty().rows).toBe(true);
  });

  it('moves the selection to the neighbour when the selected symbol is removed', () => {
    const { sut } = makeStore();
    sut.select('MSFT');
    sut.remove('MSFT');
    expect(sut.selected).toBe('NVDA');
    sut.remove('NVDA');
    expect(sut.selected).toBe('AAPL');
    sut.remove('AAPL');
    expect(sut.selected).toBeNull();
  });

  it('reorders, and a move in a sorted table starts from the order shown', () => {
    const { sut } = makeStore();
    expect(sut.move('NVDA', -1)).toBe(true);
    expect(sut.watchlist).toEqual(['AAPL', 'NVDA', 'MSFT']);
    expect(sut.move('AAPL', -1)).toBe(false);
    sut.toggleSort('symbol'); // AAPL MSFT NVDA
    sut.move('AAPL', 1);
    expect(sut.watchlist).toEqual(['MSFT', 'AAPL', 'NVDA']);
    expect(sut.sort.key).toBeNull();
  });

  it('searches the catalog by symbol or name, best matches first', () => {
    // "Meta Platforms" contains "ms" too, ranked below the symbol prefix.
    expect(searchInstruments(CATALOG, 'ms').map((i) => i.symbol)).toEqual(['MSFT', 'META']);
    expect(searchInstruments(CATALOG, 'corp').map((i) => i.symbol)).toEqual(['MSFT', 'NVDA']);
    expect(searchInstruments(CATALOG, 'TESLA').map((i) => i.symbol)).toEqual(['TSLA']);
    expect(searchInstruments(CATALOG, 'a').map((i) => i.symbol)[0]).toBe('AAPL');
    expect(searchInstruments(CATALOG, '  ')).toEqual([]);
    expect(searchInstruments(CATALOG, 'a', 2)).toHaveLength(2);
  });
});

describe('ticks and conflation', () => {
  it('conflates a burst into one dirty symbol holding the latest values', () => {
    const { sut } = makeStore();
    let notified = 0;
    sut.onChange(() => notified++);
    sut.applySnapshot(snap('AAPL', 10, 100), true);
    sut.takeDirty();
    const burst: Tick[] = [];
    for (let seq = 11; seq <= 1010; seq++) burst.push(tick('AAPL', seq, 100 + (seq % 7) - 3));
    burst.push(tick('MSFT', 1, 50));
    sut.applyTicks(burst);
    const d = sut.takeDirty();
    expect([...d.symbols].sort()).toEqual(['AAPL', 'MSFT']);
    const q = sut.quotes.get('AAPL')!;
    expect(q.seq).toBe(1010);
    expect(q.last).toBe(100 + (1010 % 7) - 3);
    expect(q.high).toBe(105); // from the snapshot; the burst stayed within it
    expect(q.low).toBe(95);
    expect(sut.stats.ticks).toBe(1001);
    expect(notified).toBeGreaterThan(0);
    expect(sut.takeDirty().symbols.size).toBe(0);
  });

  it('tracks day high/low and the direction of the last change', () => {
    const { sut } = makeStore();
    sut.applySnapshot(snap('AAPL', 1, 100), true);
    sut.applyTicks([tick('AAPL', 2, 107)]);
    expect(sut.quotes.get('AAPL')).toMatchObject({ high: 107, low: 95, direction: 1 });
    sut.applyTicks([tick('AAPL', 3, 90)]);
    expect(sut.quotes.get('AAPL')).toMatchObject({ high: 107, low: 90, direction: -1 });
    sut.applyTicks([tick('AAPL', 4, 90)]);
    expect(sut.quotes.get('AAPL')!.direction).toBe(-1);
  });

  it('starts a new day at the UTC midnight: previous close, open, high and low reset', () => {
    const { sut } = makeStore();
    sut.applySnapshot(snap('AAPL', 1, 101), true);
    const midnight = T0 - (T0 % DAY) + DAY;
    sut.applyTicks([tick('AAPL', 2, 103, midnight + 5)]);
    expect(sut.quotes.get('AAPL')).toMatchObject({
      prevClose: 101,
      open: 103,
      high: 103,
      low: 103,
      day: midnight,
    });
  });

  it('drops duplicates and old ticks, and counts gaps only where every tick is expected', () => {
    const { sut } = makeStore();
    sut.applySnapshot(snap('AAPL', 5, 100), true);
    sut.applySnapshot(snap('MSFT', 5, 100), true);
    sut.setStreamMode(['AAPL'], 'full');
    sut.applyTicks([tick('AAPL', 5, 1), tick('AAPL', 4, 1)]);
    expect(sut.stats.duplicates).toBe(2);
    expect(sut.quotes.get('AAPL')!.last).toBe(100);
    sut.applyTicks([tick('AAPL', 6, 101), tick('AAPL', 9, 102)]);
    expect(sut.stats.gaps).toBe(2);
    // Conflated: jumps are the point.
    sut.applyTicks([tick('MSFT', 50, 101)]);
    expect(sut.stats.gaps).toBe(2);
    sut.setStreamMode(['AAPL'], 'conflated');
    sut.applyTicks([tick('AAPL', 20, 102)]);
    expect(sut.stats.gaps).toBe(2);
  });

  it('ignores ticks for symbols not on the watchlist', () => {
    const { sut } = makeStore();
    sut.applyTicks([tick('TSLA', 1, 200)]);
    expect(sut.quotes.has('TSLA')).toBe(false);
  });

  it('keeps a tick that beats its snapshot, and fills the day figures in from the snapshot', () => {
    const { sut } = makeStore();
    sut.applyTicks([tick('AAPL', 8, 101)]);
    expect(sut.quotes.get('AAPL')!.prevClose).toBeNaN();
    sut.applySnapshot(snap('AAPL', 8, 101), true);
    expect(sut.quotes.get('AAPL')).toMatchObject({ seq: 8, prevClose: 100, open: 100 });
    sut.applySnapshot(snap('AAPL', 7, 99), true); // older, same connection
    expect(sut.quotes.get('AAPL')!.last).toBe(101);
  });
});

describe('reconnect and resume', () => {
  it('offers the seq held per watched symbol as resume points', () => {
    const { sut } = makeStore();
    sut.applySnapshot(snap('AAPL', 41, 100), true);
    sut.applyTicks([tick('AAPL', 42, 100.5)]);
    sut.applySnapshot(snap('NVDA', 7, 100), true);
    expect(sut.resumePoints()).toEqual({ AAPL: 42, NVDA: 7 });
  });

  it('takes replayed ticks in order and then the snapshot, with no gap and no duplicate', () => {
    const { sut } = makeStore();
    sut.connected(false);
    sut.setStreamMode(['AAPL'], 'full');
    sut.applySnapshot(snap('AAPL', 10, 100), true);
    sut.disconnected();
    expect(sut.connection).toBe('reconnecting');
    sut.connected(true);
    expect(sut.connection).toBe('resumed');
    sut.applyTicks([tick('AAPL', 11, 101), tick('AAPL', 12, 102)]); // replay before the ack
    sut.applySnapshot(snap('AAPL', 12, 102), true); // the ack
    sut.applyTicks([tick('AAPL', 13, 103)]);
    expect(sut.stats).toMatchObject({ gaps: 0, duplicates: 0 });
    expect(sut.quotes.get('AAPL')!.seq).toBe(13);
  });

  it('accepts a lower seq on a new connection (the server started a new history)', () => {
    const { sut } = makeStore();
    sut.connected(false);
    sut.applySnapshot(snap('AAPL', 500, 100), true);
    sut.connected(true);
    sut.applySnapshot(snap('AAPL', 3, 98), true);
    expect(sut.quotes.get('AAPL')).toMatchObject({ seq: 3, last: 98 });
    sut.connected(true);
    sut.applyTicks([tick('AAPL', 1, 97)]);
    expect(sut.quotes.get('AAPL')).toMatchObject({ seq: 1, last: 97 });
  });

  it('merges extremes from an older REST snapshot without rolling prices back', () => {
    const { sut } = makeStore();
    sut.applySnapshot(snap('AAPL', 10, 100), true);
    sut.applyTicks([tick('AAPL', 11, 101)]);
    sut.applySnapshot(snap('AAPL', 9, 99, { high: 130, low: 80 }), false);
    expect(sut.quotes.get('AAPL')).toMatchObject({ seq: 11, last: 101, high: 130, low: 80 });
  });
});

describe('connection state', () => {
  it('settles from resumed to live, and goes stale when a liquid symbol falls silent', () => {
    const { sut, advance } = makeStore();
    sut.connected(false);
    sut.applySnapshot(snap('AAPL', 1, 100), true);
    for (let seq = 2; seq < 12; seq++) {
      advance(100);
      sut.applyTicks([tick('AAPL', seq, 100)]);
    }
    sut.evaluate();
    expect(sut.connection).toBe('live');
    advance(STALE_MS + 1);
    sut.evaluate();
    expect(sut.connection).toBe('stale');
    expect(sut.stale).toBe('AAPL');
    sut.applyTicks([tick('AAPL', 12, 100)]);
    sut.evaluate();
    expect(sut.connection).toBe('live');

    sut.disconnected();
    sut.connected(true);
    sut.evaluate();
    expect(sut.connection).toBe('resumed');
    advance(RESUMED_MS);
    sut.applyTicks([tick('AAPL', 13, 100)]);
    sut.evaluate();
    expect(sut.connection).toBe('live');
  });

  it('does not call a quiet symbol stale', () => {
    const { sut, advance } = makeStore();
    sut.connected(false);
    sut.applySnapshot(snap('AAPL', 1, 100), true);
    for (let seq = 2; seq < 12; seq++) {
      advance(10_000);
      sut.applyTicks([tick('AAPL', seq, 100)]);
    }
    advance(STALE_MS * 2);
    sut.evaluate();
    expect(sut.connection).toBe('live');
  });

  it('reports the median and 95th percentile tick-to-screen latency', () => {
    const { sut } = makeStore();
    expect(sut.latencyStats().p50).toBeNaN();
    for (let i = 1; i <= 100; i++) sut.recordLatency(i);
    expect(sut.latencyStats()).toEqual({ p50: 50, p95: 95, n: 100 });
    for (let i = 0; i < 1000; i++) sut.recordLatency(7);
    expect(sut.latencyStats()).toMatchObject({ p50: 7, p95: 7, n: 512 });
  });
});

describe('sorting', () => {
  it('cycles a column through its directions and back to the manual order', () => {
    const { sut } = makeStore();
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
    const { sut, advance } = makeStore();
    sut.applySnapshot(snap('AAPL', 1, 100), true);
    sut.applySnapshot(snap('MSFT', 1, 120), true);
    sut.toggleSort('changePct');
    expect(sut.order()).toEqual(['MSFT', 'AAPL', 'NVDA']);
    sut.applyTicks([tick('AAPL', 2, 130)]);
    expect(sut.order()).toEqual(['MSFT', 'AAPL', 'NVDA']);
    expect(sut.resortDue()).toBe(false);
    advance(RESORT_MS);
    expect(sut.resortDue()).toBe(true);
    expect(sut.order()).toEqual(['AAPL', 'MSFT', 'NVDA']);
    sut.toggleSort('changePct');
    expect(sut.order()).toEqual(['MSFT', 'AAPL', 'NVDA']);
  });
});
