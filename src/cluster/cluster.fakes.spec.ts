import { ManualClock } from '../common/clock';
import { describeClusterContract } from './cluster.contract';
import { FakeLeaseStore } from './lease-store.fake';
import { FakeTickStream } from './tick-stream.fake';

// The fakes obey the same scenarios as the JetStream adapters (jetstream.adapters.spec.ts).
describeClusterContract('fakes', async () => {
  const serverClock = new ManualClock(0);
  const ttlMs = 5_000;
  const leases = new FakeLeaseStore(serverClock, ttlMs);
  const ticks = new FakeTickStream(serverClock);
  return {
    ttlMs,
    leaseStores: [leases, leases],
    tickStreams: [ticks, ticks],
    letLeaseExpire: async () => serverClock.advance(ttlMs),
    close: async () => undefined,
  };
});
