import type { AppConfig } from '../config/app-config';
import type { Notice, Snapshot, Tick } from '../contracts';
import type { TickQuery } from '../storage/quote-store';
import { FanOut, REPLAY_FRAME_TICKS, type ClientSink } from './fan-out';
import { MAX_REPLAY_TICKS, ResumeService, type ResumeReader } from './resume.service';
import { SOCKET_IO_WIRE } from './socket-io.wire';

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

class PacketSink implements ClientSink {
  readonly packets: string[] = [];
  write(packet: string): void {
    this.packets.push(packet);
  }
  writeFrame(): boolean {
    return false;
  }
  bufferedBytes(): number {
    return 0;
  }
  notice(_notice: Notice): void {}
  disconnect(): void {}
  seqs(): number[] {
    return this.packets.flatMap((p) =>
      (JSON.parse(p.slice(1)) as [string, Tick[]])[1].map((t) => t.seq),
    );
  }
}

function setup(stored: Tick[], recent: Tick[], config = {} as AppConfig) {
  const reader = new FakeReader(stored, recent);
  const fanOut = new FanOut({
    slowClientBytes: 1_000_000,
    maxClientBytes: 4_000_000,
    degradedThrottleMs: 250,
    wire: SOCKET_IO_WIRE,
  });
  const sink = new PacketSink();
  const client = fanOut.addClient(sink);
  const sut = new ResumeService(reader, fanOut, config);
  return { sut, reader, sink, client };
}

describe('ResumeService', () => {
  it('replays from memory alone when memory reaches back far enough, without reading the store', async () => {
    const { sut, reader, sink, client } = setup([], range(1, 20));
    const loaded = await sut.load(new Map([['AAPL', 10]]));
    expect(reader.queries).toEqual([]);
    expect(sut.replay(client, 'AAPL', 10, 20, loaded)).toBe(true);
    expect(sink.seqs()).toEqual(range(11, 20).map((t) => t.seq));
  });

  it('joins stored ticks with those in memory, in packets of at most REPLAY_FRAME_TICKS', async () => {
    const current = REPLAY_FRAME_TICKS + 600;
    const { sut, reader, sink, client } = setup(range(1, 1000), range(901, current));
    const loaded = await sut.load(new Map([['AAPL', 100]]));
    expect(reader.queries).toEqual([{ afterSeq: 100, order: 'asc', limit: MAX_REPLAY_TICKS + 1 }]);
    expect(sut.replay(client, 'AAPL', 100, current, loaded)).toBe(true);
    expect(sink.seqs()).toEqual(range(101, current).map((t) => t.seq));
    expect(sink.packets.every((p) => p.startsWith(SOCKET_IO_WIRE.ticksPrefix))).toBe(true);
    expect(sink.packets).toHaveLength(2);
  });

  it('writes nothing and reports false when a tick in between is no longer kept', async () => {
    const stored = range(1, 50).filter((t) => t.seq !== 30);
    const { sut, sink, client } = setup(stored, range(60, 70));
    const loaded = await sut.load(new Map([['AAPL', 10]]));
    expect(sut.replay(client, 'AAPL', 10, 70, loaded)).toBe(false);
    expect(sink.packets).toEqual([]);
  });

  it('gives up on a gap longer than MAX_REPLAY_TICKS', async () => {
    const { sut, client } = setup(range(1, MAX_REPLAY_TICKS + 10), []);
    const loaded = await sut.load(new Map([['AAPL', 0]]));
    expect(loaded.get('AAPL')).toBeUndefined();
    expect(sut.replay(client, 'AAPL', 0, MAX_REPLAY_TICKS + 10, loaded)).toBe(false);
  });

  it('refuses a resume point from the future, and writes nothing when nothing was missed', async () => {
    const { sut, sink, client } = setup([], range(1, 20));
    const loaded = await sut.load(new Map([['AAPL', 20]]));
    expect(sut.replay(client, 'AAPL', 20, 20, loaded)).toBe(true);
    expect(sut.replay(client, 'AAPL', 25, 20, await sut.load(new Map([['AAPL', 25]])))).toBe(false);
    expect(sink.packets).toEqual([]);
  });

  it('reports a resume across seqs a crash skipped as unresumable, and replays after them', async () => {
    // Stored 1..50; seqs 51..80 were reserved by a run that crashed; this run issues 81 on.
    const stored = range(1, 50);
    for (const lastSeq of [30, 50, 65]) {
      const { sut, sink, client } = setup(stored, range(81, 90));
      const loaded = await sut.load(new Map([['AAPL', lastSeq]]));
      expect(sut.replay(client, 'AAPL', lastSeq, 90, loaded)).toBe(false);
      expect(sink.packets).toEqual([]);
    }
    const { sut, sink, client } = setup(stored, range(81, 90));
    expect(sut.replay(client, 'AAPL', 84, 90, await sut.load(new Map([['AAPL', 84]])))).toBe(true);
    expect(sink.seqs()).toEqual([85, 86, 87, 88, 89, 90]);
  });

  describe('in cluster mode, on a node a moment behind the one the client was on', () => {
    const cluster = { natsUrl: 'nats://127.0.0.1:4222' } as AppConfig;

    it('waits for the ticks the client saw, then replays them', async () => {
      const { sut, reader, sink, client } = setup([], range(1, 20), cluster);
      setTimeout(() => reader.arrive(range(21, 25)), 100);
      const loaded = await sut.load(new Map([['AAPL', 24]]));
      expect(sut.replay(client, 'AAPL', 24, 25, loaded)).toBe(true);
      expect(sink.seqs()).toEqual([25]);
    });

    it('answers after about a second when the node does not catch up', async () => {
      const { sut, client } = setup([], range(1, 20), cluster);
      const started = Date.now();
      const loaded = await sut.load(new Map([['AAPL', 30]]));
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(sut.replay(client, 'AAPL', 30, 20, loaded)).toBe(false);
    });
  });

  it('does not wait in one process: a client ahead of the server saw ticks a crash lost', async () => {
    const { sut, client } = setup([], range(1, 20));
    const started = Date.now();
    const loaded = await sut.load(new Map([['AAPL', 30]]));
    expect(Date.now() - started).toBeLessThan(500);
    expect(sut.replay(client, 'AAPL', 30, 20, loaded)).toBe(false);
  });
});
