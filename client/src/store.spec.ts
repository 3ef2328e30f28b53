import { parsePrefs, type Prefs } from './preferences';
import { DashboardStore } from './store';
import { CATALOG, manualClock, snap, tick } from './test-fixtures';
import { RESUMED_MS, STALE_MS } from './connection';

function makeStore(watchlist = ['AAPL', 'MSFT', 'NVDA']) {
  const clock = manualClock();
  const prefs: Prefs = { ...parsePrefs(null), watchlist, selected: watchlist[0] ?? null };
  const sut = new DashboardStore(prefs, clock.now);
  sut.setCatalog(CATALOG);
  sut.takeDirty();
  return { sut, ...clock };
}

describe('DashboardStore', () => {
  it('draws the table and the badge on the first frame, before any data', () => {
    const sut = new DashboardStore();
    expect(sut.takeDirty()).toMatchObject({ rows: true, connection: true });
    expect(sut.hasCatalog).toBe(false);
    expect(sut.connection).toBe('connecting');
  });

  it('drops symbols the catalog no longer lists', () => {
    const sut = new DashboardStore({
      ...parsePrefs(null),
      watchlist: ['AAPL', 'GONE'],
      selected: 'GONE',
    });
    expect(sut.setCatalog(CATALOG)).toEqual(['GONE']);
    expect(sut.hasCatalog).toBe(true);
    expect(sut.watchlist).toEqual(['AAPL']);
    expect(sut.selected).toBe('AAPL');
    expect(sut.search('micro').map((i) => i.symbol)).toEqual(['MSFT']);
  });

  it('keeps quotes for watched symbols only, and forgets a removed one', () => {
    const { sut } = makeStore();
    sut.applyTicks([tick('TSLA', 1, 200)]);
    expect(sut.quotes.has('TSLA')).toBe(false);
    sut.applySnapshot(snap('MSFT', 3, 100), true);
    expect(sut.resumePoints()).toEqual({ MSFT: 3 });
    sut.remove('MSFT');
    expect(sut.quotes.has('MSFT')).toBe(false);
    expect(sut.resumePoints()).toEqual({});
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
    expect(sut.stale).toBeNull();
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

  it('counts frames and latency samples for the page statistics', () => {
    const { sut } = makeStore();
    sut.frameRendered();
    sut.frameRendered();
    sut.recordLatency(12);
    expect(sut.stats.frames).toBe(2);
    expect(sut.latencyStats()).toEqual({ p50: 12, p95: 12, n: 1 });
    sut.resetLatency();
    expect(sut.latencyStats().n).toBe(0);
  });

  it('shows and clears messages by id', () => {
    const { sut } = makeStore();
    sut.showMessage('subscribe-failed', 'Could not subscribe to AAPL: limit exceeded');
    expect(sut.takeDirty().message).toBe(true);
    sut.clearMessage('conflated');
    expect(sut.message?.id).toBe('subscribe-failed');
    sut.clearMessage('subscribe-failed');
    expect(sut.message).toBeNull();
  });

  it('sorts through to the watchlist with live quotes', () => {
    const { sut } = makeStore();
    sut.applySnapshot(snap('AAPL', 1, 100), true);
    sut.applySnapshot(snap('MSFT', 1, 120), true);
    sut.toggleSort('changePct');
    expect(sut.order()).toEqual(['MSFT', 'AAPL', 'NVDA']);
    expect(sut.sort).toEqual({ key: 'changePct', dir: -1 });
  });

  it("shows the node each connection's subscribe acknowledgement names, and none without it", () => {
    const { sut } = makeStore();
    sut.connected(false);
    expect(sut.node).toBeNull();
    sut.servedBy('node-2');
    expect(sut.node).toBe('node-2');
    expect(sut.takeDirty().connection).toBe(true);
    sut.disconnected();
    expect(sut.node).toBeNull();
    sut.connected(true);
    sut.servedBy('node-3'); // the reconnect landed on another node
    expect(sut.node).toBe('node-3');
    sut.disconnected();
    sut.connected(true);
    sut.servedBy(null); // a single-process server names none
    expect(sut.node).toBeNull();
  });

  it('pauses on stalled with its message and returns to live on recovered, socket up', () => {
    const { sut } = makeStore();
    sut.connected(false);
    sut.servedBy('node-2');
    sut.stalled('No node runs the feed yet.');
    expect(sut.connection).toBe('paused');
    expect(sut.pauseMessage).toBe('No node runs the feed yet.');
    expect(sut.node).toBe('node-2');
    sut.recovered();
    expect(sut.connection).toBe('live');
    expect(sut.pauseMessage).toBeNull();
  });
});
