import { INTERVAL_MS, utcDay, type Tick } from '../../src/contracts';
import { ChangeTracker } from './changes';
import { QuoteBook } from './quote-book';
import { manualClock, snap, T0, tick } from './test-fixtures';

function makeBook(watchlist = ['AAPL', 'MSFT', 'NVDA']) {
  const clock = manualClock();
  const watched = new Set(watchlist);
  const changes = new ChangeTracker();
  const heard: string[] = [];
  const sut = new QuoteBook({
    watched: (s) => watched.has(s),
    changes,
    now: clock.now,
    heard: (s) => heard.push(s),
  });
  return { sut, changes, heard, ...clock };
}

describe('QuoteBook: ticks and conflation', () => {
  it('conflates a burst into one dirty symbol holding the latest values', () => {
    const { sut, changes } = makeBook();
    let notified = 0;
    changes.onChange(() => notified++);
    sut.applySnapshot(snap('AAPL', 10, 100), true);
    changes.take();
    const burst: Tick[] = [];
    for (let seq = 11; seq <= 1010; seq++) burst.push(tick('AAPL', seq, 100 + (seq % 7) - 3));
    burst.push(tick('MSFT', 1, 50));
    sut.applyTicks(burst);
    const d = changes.take();
    expect([...d.symbols].sort()).toEqual(['AAPL', 'MSFT']);
    const q = sut.quotes.get('AAPL')!;
    expect(q.seq).toBe(1010);
    expect(q.last).toBe(100 + (1010 % 7) - 3);
    expect(q.high).toBe(105); // from the snapshot; the burst stayed within it
    expect(q.low).toBe(95);
    expect(sut.stats.ticks).toBe(1001);
    expect(notified).toBeGreaterThan(0);
    expect(changes.take().symbols.size).toBe(0);
  });

  it('tracks day high/low and the direction of the last change', () => {
    const { sut, heard } = makeBook();
    sut.applySnapshot(snap('AAPL', 1, 100), true);
    sut.applyTicks([tick('AAPL', 2, 107)]);
    expect(sut.quotes.get('AAPL')).toMatchObject({ high: 107, low: 95, direction: 1 });
    sut.applyTicks([tick('AAPL', 3, 90)]);
    expect(sut.quotes.get('AAPL')).toMatchObject({ high: 107, low: 90, direction: -1 });
    sut.applyTicks([tick('AAPL', 4, 90)]);
    expect(sut.quotes.get('AAPL')!.direction).toBe(-1);
    expect(heard).toEqual(['AAPL', 'AAPL', 'AAPL']);
  });

  it('starts a new day at the UTC midnight: previous close, open, high and low reset', () => {
    const { sut } = makeBook();
    sut.applySnapshot(snap('AAPL', 1, 101), true);
    const midnight = utcDay(T0) + INTERVAL_MS['1d'];
    sut.applyTicks([tick('AAPL', 2, 103, midnight + 5)]);
    expect(sut.quotes.get('AAPL')).toMatchObject({
      prevClose: 101,
      open: 103,
      high: 103,
      low: 103,
      day: midnight,
    });
    expect(sut.sparks.get('AAPL')!.session).toBe(midnight);
  });

  it('drops duplicates and old ticks, and counts gaps only where every tick is expected', () => {
    const { sut } = makeBook();
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

  it('ignores ticks and snapshots for symbols not on the watchlist', () => {
    const { sut } = makeBook();
    sut.applyTicks([tick('TSLA', 1, 200)]);
    sut.applySnapshot(snap('TSLA', 1, 200), true);
    expect(sut.quotes.has('TSLA')).toBe(false);
    expect(sut.stats).toMatchObject({ ticks: 0, snapshots: 0 });
  });

  it('keeps a tick that beats its snapshot, and fills the day figures in from the snapshot', () => {
    const { sut } = makeBook();
    sut.applyTicks([tick('AAPL', 8, 101)]);
    expect(sut.quotes.get('AAPL')!.prevClose).toBeNaN();
    sut.applySnapshot(snap('AAPL', 8, 101), true);
    expect(sut.quotes.get('AAPL')).toMatchObject({ seq: 8, prevClose: 100, open: 100 });
    sut.applySnapshot(snap('AAPL', 7, 99), true); // older, same connection
    expect(sut.quotes.get('AAPL')!.last).toBe(101);
  });

  it('learns how often a symbol updates', () => {
    const { sut, advance } = makeBook();
    sut.applySnapshot(snap('AAPL', 1, 100), true);
    for (let seq = 2; seq <= 6; seq++) {
      advance(200);
      sut.applyTicks([tick('AAPL', seq, 100)]);
    }
    expect(sut.quotes.get('AAPL')).toMatchObject({ updates: 5, meanGapMs: 200 });
  });
});

describe('QuoteBook: reconnect and resume', () => {
  it('offers the seq held per symbol as resume points', () => {
    const { sut } = makeBook();
    sut.applySnapshot(snap('AAPL', 41, 100), true);
    sut.applyTicks([tick('AAPL', 42, 100.5)]);
    sut.applySnapshot(snap('NVDA', 7, 100), true);
    expect(sut.resumePoints(['AAPL', 'MSFT', 'NVDA'])).toEqual({ AAPL: 42, NVDA: 7 });
  });

  it('accepts a lower seq on a new connection (the server started a new history)', () => {
    const { sut } = makeBook();
    sut.newConnection();
    sut.applySnapshot(snap('AAPL', 500, 100), true);
    sut.newConnection();
    sut.applySnapshot(snap('AAPL', 3, 98), true);
    expect(sut.quotes.get('AAPL')).toMatchObject({ seq: 3, last: 98 });
    sut.newConnection();
    sut.applyTicks([tick('AAPL', 1, 97)]);
    expect(sut.quotes.get('AAPL')).toMatchObject({ seq: 1, last: 97 });
  });

  it('merges extremes from an older REST snapshot without rolling prices back', () => {
    const { sut } = makeBook();
    sut.applySnapshot(snap('AAPL', 10, 100), true);
    sut.applyTicks([tick('AAPL', 11, 101)]);
    sut.applySnapshot(snap('AAPL', 9, 99, { high: 130, low: 80 }), false);
    expect(sut.quotes.get('AAPL')).toMatchObject({ seq: 11, last: 101, high: 130, low: 80 });
  });

  it('forgets a symbol whole', () => {
    const { sut } = makeBook();
    sut.applySnapshot(snap('AAPL', 10, 100), true);
    sut.forget('AAPL');
    expect(sut.quotes.has('AAPL')).toBe(false);
    expect(sut.sparks.has('AAPL')).toBe(false);
  });

  it('merges stored session candles into the sparkline', () => {
    const { sut, changes } = makeBook();
    const t = utcDay(T0);
    sut.addSparkHistory('AAPL', [{ t, o: 1, h: 1, l: 1, c: 99, v: 1, n: 1 }]);
    sut.addSparkHistory('TSLA', [{ t, o: 1, h: 1, l: 1, c: 99, v: 1, n: 1 }]);
    expect(sut.sparks.get('AAPL')!.c).toEqual([99]);
    expect(sut.sparks.has('TSLA')).toBe(false);
    expect([...changes.take().sparks]).toEqual(['AAPL']);
  });
});
