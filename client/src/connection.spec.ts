import { ChangeTracker } from './changes';
import {
  ConnectionHealth,
  isStaleQuote,
  LIQUID_GAP_MS,
  RESUMED_MS,
  STALE_MS,
  type QuoteActivity,
} from './connection';
import { manualClock, T0 } from './test-fixtures';

function makeHealth() {
  const clock = manualClock();
  const changes = new ChangeTracker();
  const quotes = new Map<string, QuoteActivity>();
  const sut = new ConnectionHealth(changes, clock.now);
  const evaluate = () => sut.evaluate(quotes.keys(), (s) => quotes.get(s));
  return { sut, changes, quotes, evaluate, ...clock };
}

const busy = (receivedAt: number): QuoteActivity => ({ updates: 10, meanGapMs: 100, receivedAt });

describe('isStaleQuote', () => {
  it('calls a busy symbol stale after STALE_MS of silence, a quiet or new one never', () => {
    expect(isStaleQuote(busy(T0), T0 + STALE_MS - 1)).toBe(false);
    expect(isStaleQuote(busy(T0), T0 + STALE_MS)).toBe(true);
    const quiet = { updates: 10, meanGapMs: LIQUID_GAP_MS, receivedAt: T0 };
    expect(isStaleQuote(quiet, T0 + 10 * STALE_MS)).toBe(false);
    const fresh = { updates: 4, meanGapMs: 100, receivedAt: T0 };
    expect(isStaleQuote(fresh, T0 + 10 * STALE_MS)).toBe(false);
    expect(isStaleQuote({ ...fresh, meanGapMs: NaN }, T0 + 10 * STALE_MS)).toBe(false);
  });
});

describe('ConnectionHealth', () => {
  it('goes live, reconnecting and resumed, marking each change', () => {
    const { sut, changes } = makeHealth();
    expect(sut.state).toBe('connecting');
    sut.connected(false);
    expect(sut.state).toBe('live');
    expect(changes.take().connection).toBe(true);
    sut.disconnected();
    expect(sut.state).toBe('reconnecting');
    sut.connected(true);
    expect(sut.state).toBe('resumed');
  });

  it('settles from resumed to live, and goes stale when a liquid symbol falls silent', () => {
    const { sut, quotes, evaluate, advance, now } = makeHealth();
    sut.connected(true);
    quotes.set('AAPL', busy(now()));
    quotes.set('MSFT', busy(now()));
    evaluate();
    expect(sut.state).toBe('resumed');
    advance(RESUMED_MS);
    evaluate();
    expect(sut.state).toBe('live');
    quotes.set('AAPL', busy(now() - STALE_MS));
    quotes.set('MSFT', busy(now() - STALE_MS - 1_000));
    evaluate();
    expect(sut.state).toBe('stale');
    expect(sut.stale).toBe('MSFT'); // the longest silent
    sut.heard('MSFT');
    expect(sut.stale).toBeNull();
    quotes.set('AAPL', busy(now()));
    quotes.set('MSFT', busy(now()));
    evaluate();
    expect(sut.state).toBe('live');
  });

  it('does not evaluate while disconnected', () => {
    const { sut, quotes, evaluate, now } = makeHealth();
    quotes.set('AAPL', busy(now() - 10 * STALE_MS));
    evaluate();
    expect(sut.state).toBe('connecting');
    sut.connected(false);
    sut.disconnected();
    evaluate();
    expect(sut.state).toBe('reconnecting');
  });

  it('names the node a subscribe acknowledgement gave, until the connection drops', () => {
    const { sut, changes } = makeHealth();
    sut.servedBy('node-1'); // not connected yet: an answer from no connection
    expect(sut.node).toBeNull();
    sut.connected(false);
    changes.take();
    sut.servedBy('node-2');
    expect(sut.node).toBe('node-2');
    expect(changes.take().connection).toBe(true);
    sut.servedBy('node-2');
    expect(changes.take().connection).toBe(false);
    sut.disconnected();
    expect(sut.node).toBeNull();
    sut.connected(true);
    expect(sut.node).toBeNull();
    sut.servedBy('node-3');
    expect(sut.node).toBe('node-3');
    sut.servedBy(null); // a single server names none
    expect(sut.node).toBeNull();
  });

  it('pauses on stalled without calling it a disconnect, and recovers to live', () => {
    const { sut, changes, quotes, evaluate, advance, now } = makeHealth();
    sut.connected(false);
    sut.servedBy('node-2');
    quotes.set('AAPL', busy(now()));
    changes.take();
    sut.stalled('The feed is moving to another node.');
    expect(sut.state).toBe('paused');
    expect(sut.pauseMessage).toBe('The feed is moving to another node.');
    expect(sut.node).toBe('node-2');
    expect(changes.take().connection).toBe(true);
    sut.stalled('The bus is unreachable.'); // a new reason redraws
    expect(sut.pauseMessage).toBe('The bus is unreachable.');
    expect(changes.take().connection).toBe(true);
    advance(3 * STALE_MS);
    evaluate(); // silence is expected while paused: not stale
    expect(sut.state).toBe('paused');
    sut.recovered();
    expect(sut.state).toBe('live');
    expect(sut.pauseMessage).toBeNull();
    evaluate(); // ticks get a moment to flow before the stale rule judges again
    expect(sut.state).toBe('live');
    advance(STALE_MS);
    evaluate();
    expect(sut.state).toBe('stale');
  });

  it('ignores recovered when not paused, and stalled while disconnected', () => {
    const { sut } = makeHealth();
    sut.stalled('too early');
    expect(sut.state).toBe('connecting');
    sut.connected(false);
    sut.recovered();
    expect(sut.state).toBe('live');
    sut.stalled('stopped');
    sut.disconnected();
    expect(sut.state).toBe('reconnecting');
    expect(sut.pauseMessage).toBeNull();
    sut.stalled('late');
    expect(sut.state).toBe('reconnecting');
    sut.connected(true);
    expect(sut.state).toBe('resumed');
    expect(sut.pauseMessage).toBeNull();
  });
});
