// Lease and fencing scenarios that every implementation of LeaseStore and TickStream must pass:
// the fakes (cluster.fakes.spec.ts) and the JetStream adapters on a real nats-server
// (jetstream.adapters.spec.ts). Each node has its own ManualClock; server time is the harness's.
import { jest } from '@jest/globals';
import { ManualClock } from '../common/clock';
import type { Tick } from '../contracts/market';
import { FencedError, LeaseConflictError } from './cluster.errors';
import { FeedLease, type LeaseLossReason, type LeaseTenure } from './feed-lease';
import { decodeTick, encodeTick, FencedTickPublisher, tickSubject } from './fenced-publisher';
import type { LeaseStore } from './lease-store';
import type { TickStream } from './tick-stream';

export interface ClusterHarness {
  /** The lease bucket's TTL. */
  ttlMs: number;
  /** The same bucket and stream through two connections, one per node. */
  leaseStores: [LeaseStore, LeaseStore];
  tickStreams: [TickStream, TickStream];
  /** Returns once the server has expired `key`'s entry, written no later than the call. */
  letLeaseExpire(key: string): Promise<void>;
  close(): Promise<void>;
}

export function tick(symbol: string, seq: number, last: number): Tick {
  return {
    symbol,
    seq,
    ts: Date.UTC(2026, 0, 5) + seq,
    bid: last - 0.01,
    ask: last + 0.01,
    bidSize: 100,
    askSize: 100,
    last,
    size: 10,
    volume: 10 * seq,
  } as Tick;
}

function node(store: LeaseStore, name: string, ttlMs: number) {
  const clock = new ManualClock(0);
  const lost: { tenure: LeaseTenure; reason: LeaseLossReason }[] = [];
  const acquired: LeaseTenure[] = [];
  const lease = new FeedLease(store, clock, {
    nodeId: name,
    ttlMs,
    onAcquired: (tenure) => acquired.push(tenure),
    onLost: (tenure, reason) => lost.push({ tenure, reason }),
  });
  return { clock, lease, lost, acquired };
}

export function describeClusterContract(name: string, open: () => Promise<ClusterHarness>): void {
  describe(`${name}: feed lease and fenced publishing`, () => {
    let sut: ClusterHarness;
    beforeEach(async () => {
      sut = await open();
    });
    afterEach(async () => {
      await sut.close();
    });

    it('lets exactly one of two racing nodes take the lease, and keeps it through renewals', async () => {
      const a = node(sut.leaseStores[0], 'node-a', sut.ttlMs);
      const b = node(sut.leaseStores[1], 'node-b', sut.ttlMs);
      await Promise.all([a.lease.tick(), b.lease.tick()]);
      const holders = [a, b].filter((n) => n.lease.tenure !== null);
      expect(holders).toHaveLength(1);
      const [holder] = holders;
      const other = holder === a ? b : a;
      const term = holder.lease.tenure!.term;

      for (let round = 0; round < 3; round++) {
        holder.clock.advance(holder.lease.renewEveryMs);
        other.clock.advance(other.lease.retryEveryMs);
        await Promise.all([holder.lease.tick(), other.lease.tick()]);
        expect(holder.lease.tenure).toEqual({ nodeId: holder === a ? 'node-a' : 'node-b', term });
        expect(other.lease.tenure).toBeNull();
      }
      expect(holder.lost).toEqual([]);
      expect(other.acquired).toEqual([]);
    });

    it('refuses a create on a held key and an update on a stale revision', async () => {
      const [one, two] = sut.leaseStores;
      const first = await one.create('feed.leader', 'a');
      await expect(two.create('feed.leader', 'b')).rejects.toBeInstanceOf(LeaseConflictError);
      const second = await one.update('feed.leader', 'a', first);
      expect(second).toBeGreaterThan(first);
      await expect(two.update('feed.leader', 'b', first)).rejects.toBeInstanceOf(
        LeaseConflictError,
      );
      expect(await two.get('feed.leader')).toEqual({ value: 'a', revision: second });
    });

    it('expires the lease entry after the TTL, and a new create gets a higher revision', async () => {
      const [one, two] = sut.leaseStores;
      const first = await one.create('feed.leader', 'a');
      await sut.letLeaseExpire('feed.leader');
      expect(await two.get('feed.leader')).toBeNull();
      const next = await two.create('feed.leader', 'b');
      expect(next).toBeGreaterThan(first);
      await expect(one.update('feed.leader', 'a', first)).rejects.toBeInstanceOf(
        LeaseConflictError,
      );
    });

    it('stops a paused leader by its own clock and fences its late publishes', async () => {
      const a = node(sut.leaseStores[0], 'node-a', sut.ttlMs);
      const b = node(sut.leaseStores[1], 'node-b', sut.ttlMs);
      await a.lease.tick();
      expect(a.lease.tenure?.nodeId).toBe('node-a');
      await b.lease.tick();
      expect(b.lease.tenure).toBeNull();

      const aFenced = jest.fn();
      const aPub = new FencedTickPublisher(sut.tickStreams[0], { onFenced: aFenced });
      expect((await aPub.takeOver(['AAPL', 'MSFT'])).get('AAPL')).toBeNull();
      for (let seq = 1; seq <= 3; seq++) await aPub.publish(tick('AAPL', seq, 100 + seq));
      await aPub.publish(tick('MSFT', 1, 400));

      // node-a is paused: no ticks run while the server lets its entry expire.
      await sut.letLeaseExpire('feed.leader');
      b.clock.advance(b.lease.retryEveryMs);
      await b.lease.tick();
      expect(b.lease.tenure?.nodeId).toBe('node-b');
      expect(b.lease.tenure!.term).toBeGreaterThan(a.acquired[0].term);

      const bPub = new FencedTickPublisher(sut.tickStreams[1]);
      const resumeFrom = await bPub.takeOver(['AAPL', 'MSFT']);
      expect(resumeFrom.get('AAPL')?.seq).toBe(3);
      await bPub.publish(tick('AAPL', 4, 204));

      // node-a wakes up: its clock has jumped past the TTL, so it gives the lease up before
      // calling the store again.
      a.clock.advance(sut.ttlMs + 1);
      expect(a.lease.tenure).toBeNull();
      expect(a.lost).toEqual([{ tenure: a.acquired[0], reason: 'expired' }]);

      // Its feed had not stopped yet: the late tick is refused and the publisher steps down. Its
      // message id AAPL:4 is node-b's already, so the server answers "duplicate" for other content.
      await expect(aPub.publish(tick('AAPL', 4, 104))).rejects.toBeInstanceOf(FencedError);
      expect(aFenced).toHaveBeenCalledTimes(1);
      expect(aFenced.mock.calls[0][0]).toMatchObject({
        symbol: 'AAPL',
        reason: 'foreign-duplicate',
      });
      // ... and for every symbol, even one nobody else has published since.
      await expect(aPub.publish(tick('MSFT', 2, 401))).rejects.toBeInstanceOf(FencedError);

      const last = await sut.tickStreams[1].lastBySubject(tickSubject('AAPL'));
      expect(decodeTick(last!.data)).toEqual(tick('AAPL', 4, 204));
      const msft = await sut.tickStreams[1].lastBySubject(tickSubject('MSFT'));
      expect(decodeTick(msft!.data).seq).toBe(1);
    });

    it('stores a retried publish once and answers the retry as a duplicate', async () => {
      const [stream] = sut.tickStreams;
      const subject = tickSubject('AAPL');
      const data = encodeTick(tick('AAPL', 1, 100));
      const options = { expectedLastSubjectSequence: 0, msgId: 'AAPL:1' };
      const first = await stream.publish(subject, data, options);
      expect(first.duplicate).toBe(false);
      // The retry carries the same expected sequence, now stale: the id is checked first.
      expect(await stream.publish(subject, data, options)).toEqual({
        seq: first.seq,
        duplicate: true,
      });
      expect(await stream.lastBySubject(subject)).toEqual({ seq: first.seq, data });
    });

    it('refuses a publish whose expected last subject sequence is not the last one', async () => {
      const [one, two] = sut.tickStreams;
      const subject = tickSubject('EURUSD');
      const first = await one.publish(subject, encodeTick(tick('EURUSD', 1, 1.1)), {
        expectedLastSubjectSequence: 0,
        msgId: 'EURUSD:1',
      });
      // Another subject moves the stream's sequence, not this subject's.
      await one.publish(tickSubject('GBPUSD'), encodeTick(tick('GBPUSD', 1, 1.3)), {
        expectedLastSubjectSequence: 0,
        msgId: 'GBPUSD:1',
      });
      await expect(
        two.publish(subject, encodeTick(tick('EURUSD', 2, 1.2)), {
          expectedLastSubjectSequence: 0,
          msgId: 'EURUSD:2',
        }),
      ).rejects.toMatchObject({ name: 'WrongLastSequenceError', subject, expected: 0 });
      const second = await two.publish(subject, encodeTick(tick('EURUSD', 2, 1.2)), {
        expectedLastSubjectSequence: first.seq,
        msgId: 'EURUSD:2',
      });
      expect(second).toEqual({ seq: first.seq + 2, duplicate: false });
    });
  });
}
