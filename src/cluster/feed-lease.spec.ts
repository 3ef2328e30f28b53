import fc from 'fast-check';
import { jest } from '@jest/globals';
import { ManualClock } from '../common/clock';
import { FeedLease, type LeaseTenure } from './feed-lease';
import { FakeLeaseStore } from './lease-store.fake';

const TTL = 5_000;

function setup(nodeId = 'node-a', clock = new ManualClock(0), store?: FakeLeaseStore) {
  const serverClock = store?.serverClock ?? clock;
  const sutStore = store ?? new FakeLeaseStore(serverClock, TTL);
  const onAcquired = jest.fn<(tenure: LeaseTenure) => void>();
  const onLost = jest.fn();
  const sut = new FeedLease(sutStore, clock, { nodeId, ttlMs: TTL, onAcquired, onLost });
  return { sut, clock, store: sutStore, onAcquired, onLost };
}

describe('FeedLease', () => {
  it('takes a free lease with create; its term is the create revision', async () => {
    const { sut, store, onAcquired } = setup();
    await sut.tick();
    expect(sut.tenure).toEqual({ nodeId: 'node-a', term: 1 });
    expect(onAcquired).toHaveBeenCalledWith({ nodeId: 'node-a', term: 1 });
    expect(store.writes[0]).toMatchObject({ value: '{"nodeId":"node-a","term":0}' });
  });

  it('renews with compare-and-set every TTL/3 of its clock, not before', async () => {
    const { sut, clock, store } = setup();
    await sut.tick();
    clock.advance(sut.renewEveryMs - 1);
    await sut.tick();
    expect(store.writes).toHaveLength(1);
    clock.advance(1);
    await sut.tick();
    expect(store.writes.map((w) => w.revision)).toEqual([1, 2]);
    expect(store.writes[1].value).toBe('{"nodeId":"node-a","term":1}');
    expect(sut.renewEveryMs).toBe(1_666);
  });

  it('retries a held lease every retryEveryMs and takes it once the holder lets it expire', async () => {
    const clock = new ManualClock(0);
    const a = setup('node-a', clock);
    const b = setup('node-b', clock, a.store);
    await a.sut.tick();
    await b.sut.tick();
    expect(b.sut.tenure).toBeNull();
    const calls = a.store.calls;
    clock.advance(b.sut.retryEveryMs - 1);
    await b.sut.tick();
    expect(a.store.calls).toBe(calls);
    clock.advance(TTL);
    // node-a never ticked: by the shared clock it has lost, and node-b may now take over.
    expect(a.sut.tenure).toBeNull();
    expect(a.onLost).toHaveBeenCalledWith({ nodeId: 'node-a', term: 1 }, 'expired', undefined);
    await b.sut.tick();
    expect(b.sut.tenure).toEqual({ nodeId: 'node-b', term: 2 });
  });

  it('calls onLost at once on a failed compare-and-set and tries again only later', async () => {
    const { sut, clock, store, onLost } = setup();
    await sut.tick();
    // The entry expired on the server (slow renewals) and another node took it.
    store.serverClock.advance(0);
    await store.update('feed.leader', 'other', 1);
    clock.advance(sut.renewEveryMs);
    await sut.tick();
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(onLost.mock.calls[0].slice(0, 2)).toEqual([{ nodeId: 'node-a', term: 1 }, 'conflict']);
    expect(sut.tenure).toBeNull();
    const calls = store.calls;
    await sut.tick();
    expect(store.calls).toBe(calls);
  });

  it('treats a renewal error as loss', async () => {
    const { sut, clock, store, onLost } = setup();
    await sut.tick();
    store.update = () => Promise.reject(new Error('connection closed'));
    clock.advance(sut.renewEveryMs);
    await sut.tick();
    expect(onLost.mock.calls[0][1]).toBe('error');
    expect(sut.tenure).toBeNull();
  });

  it('gives the lease up when a renewal hangs for the TTL, and ignores its late answer', async () => {
    const { sut, clock, store, onLost, onAcquired } = setup();
    await sut.tick();
    let answer: (revision: number) => void = () => undefined;
    store.update = () => new Promise<number>((resolve) => (answer = resolve));
    clock.advance(sut.renewEveryMs);
    const renewal = sut.tick();
    clock.advance(TTL - sut.renewEveryMs - 1);
    void sut.tick(); // still waiting for the renewal: no second call
    expect(onLost).not.toHaveBeenCalled();
    clock.advance(1);
    expect(sut.tenure).toBeNull();
    expect(onLost.mock.calls[0][1]).toBe('expired');
    answer(2);
    await renewal;
    expect(sut.tenure).toBeNull();
    expect(onAcquired).toHaveBeenCalledTimes(1);
  });

  it('counts the TTL from when the renewal was sent, not from its answer', async () => {
    const { sut, clock, store, onLost } = setup();
    await sut.tick();
    const update = store.update.bind(store);
    store.update = async (key, value, revision) => {
      clock.advance(1_000); // the answer takes a second
      return update(key, value, revision);
    };
    clock.advance(sut.renewEveryMs);
    await sut.tick();
    expect(sut.tenure).not.toBeNull();
    clock.advance(TTL - 1_000 - 1);
    expect(sut.tenure).not.toBeNull();
    clock.advance(1);
    expect(sut.tenure).toBeNull();
    expect(onLost).toHaveBeenCalledTimes(1);
  });

  it('drops a create whose answer arrives a TTL after it was sent', async () => {
    const { sut, clock, store, onAcquired } = setup();
    const create = store.create.bind(store);
    store.create = async (key, value) => {
      const revision = await create(key, value);
      clock.advance(TTL);
      return revision;
    };
    await sut.tick();
    expect(sut.tenure).toBeNull();
    expect(onAcquired).not.toHaveBeenCalled();
  });

  it('ticks on injected timers from start() and stops with stop()', async () => {
    const { sut, onLost } = setup();
    let fire: () => void = () => undefined;
    const timers = {
      setInterval: jest.fn((fn: () => void) => ((fire = fn), 'handle')),
      clearInterval: jest.fn(),
    };
    sut.start(timers);
    expect(timers.setInterval).toHaveBeenCalledWith(expect.any(Function), 500);
    fire();
    await sut.tick();
    expect(sut.tenure).not.toBeNull();
    sut.stop();
    expect(timers.clearInterval).toHaveBeenCalledWith('handle');
    expect(onLost.mock.calls[0][1]).toBe('stopped');
    await sut.tick();
    expect(sut.tenure).toBeNull();
  });

  it('never lets two nodes on one clock hold the lease at once, however calls interleave', async () => {
    type Step =
      { kind: 'advance'; ms: number } | { kind: 'tick'; node: 0 | 1 } | { kind: 'deliver' };
    const step = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
      fc.record({
        kind: fc.constant('tick' as const),
        node: fc.constantFrom(0 as const, 1 as const),
      }),
      fc.constant({ kind: 'deliver' as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(step, { minLength: 20, maxLength: 80 }),
        async (s, steps: Step[]) => {
          const clock = new ManualClock(0);
          const store = new FakeLeaseStore(clock, TTL);
          // Each call waits to reach the server, and the server applies it when the scheduler says.
          store.beforeApply = () => s.schedule(Promise.resolve());
          const terms: number[] = [];
          const nodes = ['node-a', 'node-b'].map(
            (nodeId) =>
              new FeedLease(store, clock, {
                nodeId,
                ttlMs: TTL,
                onAcquired: (t) => terms.push(t.term),
              }),
          );
          const check = () => {
            const holders = nodes.filter((n) => n.tenure !== null);
            expect(holders.length).toBeLessThanOrEqual(1);
          };
          for (const st of steps) {
            if (st.kind === 'advance') clock.advance(st.ms);
            else if (st.kind === 'tick') void nodes[st.node].tick();
            else if (s.count() > 0) await s.waitOne();
            // Let a released call's answer reach its node before looking.
            await new Promise((resolve) => setImmediate(resolve));
            check();
          }
          while (s.count() > 0) {
            await s.waitOne();
            await new Promise((resolve) => setImmediate(resolve));
            check();
          }
          expect(terms).toEqual([...terms].sort((x, y) => x - y));
          expect(new Set(terms).size).toBe(terms.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
