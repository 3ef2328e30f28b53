import type { AppConfig } from '../config/app-config';
import type { Snapshot, Tick } from '../contracts';
import type { TickQuery } from '../storage/quote-store';
import type { ClientState } from './fan-out';
import { ResumeService, type ResumeReader } from './resume.service';

function tick(seq: number): Tick {
  return {
    symbol: 'AAPL',
    seq,
    ts: seq,
    bid: 1,
    ask: 1,
    last: 1,
    size: 1,
    volume: seq,
    bidSize: 1,
    askSize: 1,
  };
}

const range = (from: number, to: number): Tick[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => tick(from + i));

/** Market data keeping `stored` in the store and `recent` in memory. */
class FakeReader implements ResumeReader {
  readonly queries: TickQuery[] = [];
  constructor(
    private readonly stored: Tick[],
    private readonly recent: Tick[],
  ) {}
  recentFirstSeq(): number | undefined {
    return this.recent[0]?.seq;
  }
  recentAfter(_symbol: string, afterSeq: number): Tick[] {
    return this.recent.filter((t) => t.seq > afterSeq);
  }
  async ticks(_symbol: string, query: TickQuery): Promise<Tick[]> {
    this.queries.push(query);
    return this.stored.filter((t) => t.seq > (query.afterSeq ?? 0)).slice(0, query.limit);
  }
  snapshot(): Snapshot | undefined {
    const last = this.recent.at(-1) ?? this.stored.at(-1);
    return last && ({ ...last } as Snapshot);
  }
  /** A node a moment behind: these ticks arrive while a resume waits. */
  arrive(ticks: Tick[]): void {
    this.recent.push(...ticks);
  }
}

/** The seqs of a replay, or undefined when there is none. */
const seqsOf = (ticks: Tick[] | undefined) => ticks?.map((t) => t.seq);

class FakeClock {
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
}

const limits = { maxReplayTicks: 5_000, replayTicksPerMinute: 50_000 };

function setup(stored: Tick[], recent: Tick[], config: Partial<AppConfig> = {}) {
  const reader = new FakeReader(stored, recent);
  const clock = new FakeClock();
  const sut = new ResumeService(reader, clock, { ...limits, ...config } as AppConfig);
  // Budgets are per ClientState; the service only uses it as a key.
  const client = {} as ClientState;
  return { sut, reader, clock, client };
}

describe('ResumeService', () => {
  it('replays from memory alone when memory reaches back far enough, without reading the store', async () => {
    const { sut, reader, client } = setup([], range(1, 20));
    const loaded = await sut.load(client, new Map([['AAPL', 10]]));
    expect(reader.queries).toEqual([]);
    expect(seqsOf(sut.missed('AAPL', 10, 20, loaded))).toEqual(range(11, 20).map((t) => t.seq));
  });

  it('joins stored ticks with those in memory, reading no more than the gap', async () => {
    const current = 1_600;
    const { sut, reader, client } = setup(range(1, 1000), range(901, current));
    const loaded = await sut.load(client, new Map([['AAPL', 100]]));
    expect(reader.queries).toEqual([{ afterSeq: 100, order: 'asc', limit: current - 100 }]);
    expect(seqsOf(sut.missed('AAPL', 100, current, loaded))).toEqual(
      range(101, current).map((t) => t.seq),
    );
  });

  it('gives nothing when a tick in between is no longer kept', async () => {
    const stored = range(1, 50).filter((t) => t.seq !== 30);
    const { sut, client } = setup(stored, range(60, 70));
    const loaded = await sut.load(client, new Map([['AAPL', 10]]));
    expect(sut.missed('AAPL', 10, 70, loaded)).toBeUndefined();
  });

  it('refuses a gap longer than maxReplayTicks without reading the store', async () => {
    const { sut, reader, client } = setup(range(1, 5_010), []);
    const loaded = await sut.load(client, new Map([['AAPL', 0]]));
    expect(reader.queries).toEqual([]);
    expect(sut.missed('AAPL', 0, 5_010, loaded)).toBeUndefined();
    const within = await sut.load(client, new Map([['AAPL', 10]]));
    expect(sut.missed('AAPL', 10, 5_010, within)).toHaveLength(5_000);
  });

  it("refuses resumes past what is left of the socket's per-minute budget, reading none of them", async () => {
    const { sut, reader, clock, client } = setup(range(1, 5_000), [], {
      replayTicksPerMinute: 6_000,
    });
    // 4,000 + 3,000 > 6,000: the second symbol does not fit, a smaller third one does.
    const loaded = await sut.load(
      client,
      new Map([
        ['AAPL', 1_000],
        ['MSFT', 2_000],
        ['NVDA', 4_000],
      ]),
    );
    expect(reader.queries.map((q) => q.afterSeq)).toEqual([1_000, 4_000]);
    expect(sut.missed('AAPL', 1_000, 5_000, loaded)).toHaveLength(4_000);
    expect(sut.missed('MSFT', 2_000, 5_000, loaded)).toBeUndefined();
    expect(sut.missed('NVDA', 4_000, 5_000, loaded)).toHaveLength(1_000);
    // Spent for this socket: another socket has its own budget, and this one refills by the minute.
    const other = {} as ClientState;
    expect(
      sut.missed('MSFT', 2_000, 5_000, await sut.load(other, new Map([['MSFT', 2_000]]))),
    ).toHaveLength(3_000);
    expect(
      sut.missed('MSFT', 2_000, 5_000, await sut.load(client, new Map([['MSFT', 2_000]]))),
    ).toBeUndefined();
    clock.t = 30_000;
    expect(
      sut.missed('MSFT', 2_000, 5_000, await sut.load(client, new Map([['MSFT', 2_000]]))),
    ).toHaveLength(3_000);
  });

  it('refuses a resume point from the future without a read, and gives [] when nothing was missed', async () => {
    const { sut, reader, client } = setup(range(1, 5), range(6, 20));
    const loaded = await sut.load(client, new Map([['AAPL', 20]]));
    expect(sut.missed('AAPL', 20, 20, loaded)).toEqual([]);
    const future = await sut.load(client, new Map([['AAPL', 25]]));
    expect(sut.missed('AAPL', 25, 20, future)).toBeUndefined();
    expect(reader.queries).toEqual([]);
  });

  it('reports a resume across seqs a crash skipped as unresumable, and replays after them', async () => {
    // Stored 1..50; seqs 51..80 were reserved by a run that crashed; this run issues 81 on.
    const stored = range(1, 50);
    for (const lastSeq of [30, 50, 65]) {
      const { sut, client } = setup(stored, range(81, 90));
      const loaded = await sut.load(client, new Map([['AAPL', lastSeq]]));
      expect(sut.missed('AAPL', lastSeq, 90, loaded)).toBeUndefined();
    }
    const { sut, client } = setup(stored, range(81, 90));
    const loaded = await sut.load(client, new Map([['AAPL', 84]]));
    expect(seqsOf(sut.missed('AAPL', 84, 90, loaded))).toEqual([85, 86, 87, 88, 89, 90]);
  });

  describe('in cluster mode, on a node a moment behind the one the client was on', () => {
    const cluster = { natsUrl: 'nats://127.0.0.1:4222' };

    it('waits for the ticks the client saw, then replays them', async () => {
      const { sut, reader, client } = setup([], range(1, 20), cluster);
      setTimeout(() => reader.arrive(range(21, 25)), 100);
      const loaded = await sut.load(client, new Map([['AAPL', 24]]));
      expect(seqsOf(sut.missed('AAPL', 24, 25, loaded))).toEqual([25]);
    });

    it('answers after about a second when the node does not catch up', async () => {
      const { sut, client } = setup([], range(1, 20), cluster);
      const started = Date.now();
      const loaded = await sut.load(client, new Map([['AAPL', 30]]));
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(sut.missed('AAPL', 30, 20, loaded)).toBeUndefined();
    });
  });

  it('does not wait in one process: a client ahead of the server saw ticks a crash lost', async () => {
    const { sut, client } = setup([], range(1, 20));
    const started = Date.now();
    const loaded = await sut.load(client, new Map([['AAPL', 30]]));
    expect(Date.now() - started).toBeLessThan(500);
    expect(sut.missed('AAPL', 30, 20, loaded)).toBeUndefined();
  });
});
