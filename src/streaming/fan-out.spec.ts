import {
  CompactTickDecoder,
  type CompactFrame,
  type LiveCandle,
  type Notice,
  type Tick,
} from '../contracts';
import {
  FanOut,
  MAX_HELD_TICKS,
  REPLAY_FRAME_TICKS,
  REPLAY_STALL_MS,
  SLICE_CHECK,
  type ClientSink,
} from './fan-out';
import { SOCKET_IO_WIRE, engineIoWebSocketFrame } from './socket-io.wire';

/** The Socket.IO packet inside a frame built by engineIoWebSocketFrame. */
function unframe(frame: string): string {
  const len = frame.charCodeAt(1);
  const offset = len < 126 ? 2 : len === 126 ? 4 : 10;
  expect(frame.charCodeAt(0)).toBe(0x81);
  expect(frame[offset]).toBe('4');
  return frame.slice(offset + 1);
}

class FakeSink implements ClientSink {
  packets: string[] = [];
  /** Frames taken by writeFrame(), when `direct` (a WebSocket that can take them). */
  frames: string[] = [];
  notices: Notice[] = [];
  buffered = 0;
  disconnected: string | undefined;
  constructor(private readonly direct = false) {}
  write(packet: string): void {
    this.packets.push(packet);
  }
  writeFrame(frame: string): boolean {
    if (!this.direct) return false;
    this.frames.push(frame);
    this.packets.push(unframe(frame));
    return true;
  }
  bufferedBytes(): number {
    return this.buffered;
  }
  notice(n: Notice): void {
    this.notices.push(n);
  }
  disconnect(reason: string): void {
    this.disconnected = reason;
  }
  /** Decoded `ticks` events, one array per frame. */
  tickFrames(): Tick[][] {
    return this.packets
      .filter((p) => p.startsWith('2["ticks"'))
      .map((p) => JSON.parse(p.slice(1))[1] as Tick[]);
  }
  ticks(): Tick[] {
    return this.tickFrames().flat();
  }
  /** `t` events (compact entries), one frame each. */
  compactFrames(): CompactFrame[] {
    return this.packets
      .filter((p) => p.startsWith('2["t"'))
      .map((p) => JSON.parse(p.slice(1))[1] as CompactFrame);
  }
  /** The compact frames decoded in order, by one decoder as a client would. */
  decoded(): Tick[] {
    const decoder = new CompactTickDecoder();
    return this.compactFrames().flatMap((f) => decoder.decode(f));
  }
  /** Keyframes per compact frame. */
  keyframes(): number[] {
    return this.compactFrames().map(
      (f) => f.flatMap((entry) => entry.slice(1)).filter(Array.isArray).length,
    );
  }
}

let seqs: Record<string, number> = {};
function tick(symbol: string, ts = 0): Tick {
  seqs[symbol] = (seqs[symbol] ?? 0) + 1;
  const seq = seqs[symbol];
  return {
    symbol,
    seq,
    ts,
    // On a 0.01 grid, moving, so that compact deltas have something to carry.
    bid: (100 + (seq % 7)) / 100,
    ask: (101 + (seq % 7)) / 100,
    last: (100 + (seq % 7)) / 100,
    size: 1,
    volume: seqs[symbol],
    bidSize: 1,
    askSize: 1,
  };
}

/** `n` ticks of A, as a resume would have missed them. */
const missed = (n: number) => Array.from({ length: n }, () => tick('A'));

/** Socket.IO packets without WebSocket frames: every packet goes through write(). */
const packetsOnly = { ...SOCKET_IO_WIRE, frame: undefined };
const options = {
  slowClientBytes: 1000,
  degradedGrowthBytes: 5000,
  maxClientBytes: 100_000,
  degradedThrottleMs: 250,
  wire: packetsOnly,
};

/** A frame builder that records what it was asked to frame. */
function framing(): { calls: string[]; frame: (packet: string) => string } {
  const calls: string[] = [];
  return {
    calls,
    frame: (packet) => {
      calls.push(packet);
      return engineIoWebSocketFrame(packet);
    },
  };
}

describe('FanOut', () => {
  beforeEach(() => (seqs = {}));

  it('sends one frame per socket per window, carrying every followed symbol', () => {
    const sut = new FanOut(options);
    const sink = new FakeSink();
    const client = sut.addClient(sink);
    for (const s of ['A', 'B', 'C']) sut.subscribeTicks(client, s, 'full', 1);
    for (let i = 0; i < 3; i++) for (const s of ['A', 'B', 'C', 'D']) sut.onTick(tick(s));
    sut.flush(0);
    expect(sink.tickFrames()).toHaveLength(1);
    const got = sink.ticks();
    expect(got).toHaveLength(9);
    for (const s of ['A', 'B', 'C']) {
      expect(got.filter((t) => t.symbol === s).map((t) => t.seq)).toEqual([1, 2, 3]);
    }
    sut.flush(25);
    expect(sink.tickFrames()).toHaveLength(1); // nothing new, nothing sent
  });

  it('isolates symbols: a socket receives only what it follows', () => {
    const sut = new FanOut(options);
    const a = new FakeSink();
    const b = new FakeSink();
    sut.subscribeTicks(sut.addClient(a), 'A', 'full', 1);
    sut.subscribeTicks(sut.addClient(b), 'B', 'full', 1);
    sut.onTick(tick('A'));
    sut.onTick(tick('B'));
    sut.flush(0);
    expect(a.ticks().map((t) => t.symbol)).toEqual(['A']);
    expect(b.ticks().map((t) => t.symbol)).toEqual(['B']);
  });

  it('skips ticks the snapshot already covered (fromSeq) within the first window', () => {
    const sut = new FanOut(options);
    const early = new FakeSink();
    sut.subscribeTicks(sut.addClient(early), 'A', 'full', 1);
    sut.onTick(tick('A')); // seq 1
    sut.onTick(tick('A')); // seq 2
    const late = new FakeSink();
    sut.subscribeTicks(sut.addClient(late), 'A', 'full', 3); // snapshot held seq 2
    sut.onTick(tick('A')); // seq 3
    sut.flush(0);
    expect(early.ticks().map((t) => t.seq)).toEqual([1, 2, 3]);
    expect(late.ticks().map((t) => t.seq)).toEqual([3]);
    sut.onTick(tick('A'));
    sut.flush(25);
    expect(late.ticks().map((t) => t.seq)).toEqual([3, 4]);
  });

  it('stops sending after unsubscribe and after the client is removed', () => {
    const sut = new FanOut(options);
    const sink = new FakeSink();
    const client = sut.addClient(sink);
    sut.subscribeTicks(client, 'A', 'full', 1);
    sut.subscribeTicks(client, 'B', 'full', 1);
    sut.unsubscribe(client, { symbol: 'A', channel: 'ticks' });
    sut.onTick(tick('A'));
    sut.onTick(tick('B'));
    sut.flush(0);
    expect(sink.ticks().map((t) => t.symbol)).toEqual(['B']);
    sut.removeClient(client);
    sut.onTick(tick('B'));
    sut.flush(25);
    expect(sink.ticks()).toHaveLength(1);
    expect(sut.followers('B')).toBe(0);
  });

  it('conflates: at most one tick per symbol per throttle, always the latest', () => {
    const sut = new FanOut(options);
    const sink = new FakeSink();
    sut.subscribeTicks(sut.addClient(sink), 'A', 'conflated', 1, 100);
    for (let now = 0; now <= 1000; now += 10) {
      sut.onTick(tick('A', now));
      sut.onTick(tick('A', now));
      sut.flush(now);
    }
    const got = sink.ticks();
    expect(got.length).toBeGreaterThanOrEqual(9);
    expect(got.length).toBeLessThanOrEqual(11);
    const sentAt = got.map((t) => t.ts);
    for (let i = 1; i < sentAt.length; i++)
      expect(sentAt[i] - sentAt[i - 1]).toBeGreaterThanOrEqual(100);
    // Each sent tick was the latest at its flush: two ticks per flush, so always an even seq.
    expect(got.every((t) => t.seq % 2 === 0)).toBe(true);
  });

  it('does not resend an unchanged conflated price', () => {
    const sut = new FanOut(options);
    const sink = new FakeSink();
    sut.subscribeTicks(sut.addClient(sink), 'A', 'conflated', 1, 50);
    sut.onTick(tick('A'));
    sut.flush(100);
    sut.flush(200);
    sut.flush(300);
    expect(sink.ticks()).toHaveLength(1);
  });

  it('conflates a slow socket, tells it so, and disconnects one that still cannot keep up', () => {
    const sut = new FanOut(options);
    const sink = new FakeSink();
    const client = sut.addClient(sink);
    sut.subscribeTicks(client, 'A', 'full', 1);
    sut.subscribeTicks(client, 'B', 'full', 1);
    sink.buffered = 2000;
    sut.onTick(tick('A'));
    sut.flush(0);
    expect(sink.notices).toEqual([
      expect.objectContaining({ type: 'conflated', symbols: ['A', 'B'], throttleMs: 250 }),
    ]);
    expect(sut.subscriptions(client).map((s) => s.mode)).toEqual(['conflated', 'conflated']);
    const framesBefore = sink.tickFrames().length;
    for (let now = 10; now < 1000; now += 10) {
      sut.onTick(tick('A', now));
      sut.flush(now);
    }
    expect(sink.tickFrames().length - framesBefore).toBeLessThanOrEqual(4);
    sink.buffered = 6900; // grew by less than the 5000 allowed since conflation (2000)
    sut.onTick(tick('A'));
    sut.flush(1500);
    expect(sink.disconnected).toBeUndefined();
    sink.buffered = 7100;
    sut.onTick(tick('A'));
    sut.flush(2000);
    expect(sink.notices.at(-1)).toMatchObject({ type: 'disconnecting', reason: 'slow_consumer' });
    expect(sink.disconnected).toBe('slow consumer');
    expect(sut.clientCount).toBe(0);
  });

  it('conflates first even when one frame passes both bounds at once', () => {
    const sut = new FanOut(options);
    const sink = new FakeSink();
    const client = sut.addClient(sink);
    sut.subscribeTicks(client, 'A', 'full', 1);
    sink.buffered = 50_000;
    sut.onTick(tick('A'));
    sut.flush(0);
    expect(sink.notices.map((n) => n.type)).toEqual(['conflated']);
    expect(sink.disconnected).toBeUndefined();
    expect(sut.clientCount).toBe(1);
  });

  it('sends candle updates in one frame per window per socket', () => {
    const sut = new FanOut(options);
    const sink = new FakeSink();
    const client = sut.addClient(sink);
    sut.subscribeCandles(client, 'A', '1m');
    const c = (t: number, closed: boolean): LiveCandle => ({
      symbol: 'A',
      interval: '1m',
      t,
      o: 1,
      h: 1,
      l: 1,
      c: 1,
      v: 1,
      n: 1,
      closed,
    });
    sut.onCandles([c(0, true), c(60_000, false), { ...c(0, true), interval: '5m' }]);
    sut.flush(0);
    const frames = sink.packets.filter((p) => p.startsWith('2["candles"'));
    expect(frames).toHaveLength(1);
    expect(JSON.parse(frames[0].slice(1))[1]).toEqual([c(0, true), c(60_000, false)]);
  });

  describe('replays', () => {
    // A slow bound large enough that frames are cut by REPLAY_FRAME_TICKS, not by bytes.
    const roomy = { ...options, slowClientBytes: 10_000_000, maxClientBytes: 20_000_000 };

    it('writes missed ticks as ticks packets of at most REPLAY_FRAME_TICKS, then streams after them', () => {
      const sut = new FanOut(roomy);
      const sink = new FakeSink();
      const client = sut.addClient(sink);
      const gap = missed(REPLAY_FRAME_TICKS * 2 + 1);
      sut.subscribeTicks(client, 'A', 'full', gap.length + 1, undefined, gap.slice());
      sut.onTick(tick('A'));
      sut.flush(0);
      expect(sink.tickFrames().map((f) => f.length)).toEqual([
        REPLAY_FRAME_TICKS,
        REPLAY_FRAME_TICKS,
        1,
        1,
      ]);
      expect(sink.ticks().map((t) => t.seq)).toEqual(gap.map((t) => t.seq).concat(gap.length + 1));
      expect(sut.counters.framesWritten).toBe(1);
      expect(sut.isReplaying(client)).toBe(false);
    });

    it('writes only while the socket is under half the slow bound, holding live ticks behind the replay: in order, no gap, no duplicate', () => {
      const sut = new FanOut(options); // slow bound 1000: frames of ~250 chars, written under 500
      const sink = new FakeSink();
      const client = sut.addClient(sink);
      // Its unsent bytes grow with what is written, until the test says it read them.
      const write = sink.write.bind(sink);
      sink.write = (packet) => {
        write(packet);
        sink.buffered += packet.length;
      };
      const gap = missed(40);
      sut.subscribeTicks(client, 'A', 'full', 41, undefined, gap.slice());
      const first = sink.ticks().length;
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(40);
      expect(sink.packets.every((p) => p.length < 250 + 200)).toBe(true);
      sink.buffered = 600; // the socket has not read: nothing more, live ticks wait
      for (let i = 0; i < 5; i++) sut.onTick(tick('A'));
      sut.flush(0);
      expect(sink.ticks()).toHaveLength(first);
      expect(sut.isReplaying(client)).toBe(true);
      sink.buffered = 0; // it read: the rest of the replay, then the held ticks
      for (let now = 25; sut.isReplaying(client); now += 25) {
        sut.onTick(tick('A'));
        sut.flush(now);
        sink.buffered = 0;
      }
      sut.onTick(tick('A'));
      sut.flush(10_000);
      const seqs = sink.ticks().map((t) => t.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      expect(seqs.at(-1)).toBe(seqs.length);
      expect(seqs.length).toBeGreaterThan(46);
    });

    it('skips ticks of the window that came before the subscribe, and ends the replay at the seq the live stream takes over', () => {
      const sut = new FanOut(roomy);
      const other = sut.addClient(new FakeSink());
      sut.subscribeTicks(other, 'A', 'full', 1);
      const early = [tick('A'), tick('A'), tick('A')]; // seqs 1-3, in this window already
      for (const t of early) sut.onTick(t);
      const sink = new FakeSink();
      sink.buffered = 10_000_000; // nothing written at subscribe
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, 'A', 'full', 4, undefined, early.slice(1)); // resumed from 1
      sut.onTick(tick('A')); // 4
      sink.buffered = 0;
      sut.flush(0);
      sut.onTick(tick('A')); // 5
      sut.flush(25);
      expect(sink.ticks().map((t) => t.seq)).toEqual([2, 3, 4, 5]);
    });

    it('tells when every missed tick is written, and writes held live ticks only from the next flush', async () => {
      const sut = new FanOut(roomy);
      const sink = new FakeSink();
      sink.buffered = 6_000_000; // too full to take anything yet
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, 'A', 'full', 3, undefined, missed(2));
      let written = false;
      void sut.missedWritten(client).then(() => (written = true));
      sut.onTick(tick('A')); // 3, held
      sut.flush(0);
      await Promise.resolve();
      expect(written).toBe(false);
      sink.buffered = 0;
      sut.onTick(tick('A')); // 4, held
      sut.flush(25);
      await Promise.resolve();
      expect(written).toBe(true);
      expect(sink.tickFrames().map((f) => f.map((t) => t.seq))).toEqual([[1, 2]]);
      sut.flush(50);
      sut.onTick(tick('A')); // 5, live
      sut.flush(75);
      expect(sink.tickFrames().map((f) => f.map((t) => t.seq))).toEqual([[1, 2], [3, 4], [5]]);
      await expect(sut.missedWritten(client)).resolves.toBeUndefined();
    });

    it('drops a socket that takes nothing of its replay for REPLAY_STALL_MS, and lets its waiter go', async () => {
      const sut = new FanOut(roomy);
      const sink = new FakeSink();
      sink.buffered = 6_000_000;
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, 'A', 'full', 11, undefined, missed(10));
      const waiting = sut.missedWritten(client);
      sut.flush(1_000);
      sut.flush(1_000 + REPLAY_STALL_MS);
      expect(sink.disconnected).toBeUndefined();
      sut.flush(1_001 + REPLAY_STALL_MS);
      expect(sink.notices.at(-1)).toMatchObject({ type: 'disconnecting', reason: 'slow_consumer' });
      expect(sink.disconnected).toBe('slow consumer');
      await expect(waiting).resolves.toBeUndefined();
    });

    it('frees a replay on unsubscribe, on re-subscribe and when the socket goes away', () => {
      const sut = new FanOut(options);
      const sink = new FakeSink();
      sink.buffered = 800;
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, 'A', 'full', 21, undefined, missed(20));
      expect(sut.isReplaying(client)).toBe(true);
      sut.unsubscribe(client, { symbol: 'A', channel: 'ticks' });
      expect(sut.isReplaying(client)).toBe(false);
      sut.subscribeTicks(client, 'B', 'full', 21, undefined, missed(20));
      sut.subscribeTicks(client, 'B', 'conflated', 21);
      expect(sut.isReplaying(client)).toBe(false);
      sut.subscribeTicks(client, 'A', 'full', 41, undefined, missed(20));
      sut.removeClient(client);
      expect(sut.isReplaying(client)).toBe(false);
      sink.buffered = 0;
      sut.flush(0);
      expect(sink.packets).toEqual([]);
    });

    it('conflates a socket whose unread replay holds back more than MAX_HELD_TICKS live ticks', () => {
      const sut = new FanOut(roomy);
      const sink = new FakeSink();
      sink.buffered = 6_000_000;
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, 'A', 'full', 2, undefined, missed(1));
      for (let i = 0; i <= MAX_HELD_TICKS; i++) sut.onTick(tick('A'));
      sut.flush(0);
      expect(sink.notices).toEqual([
        expect.objectContaining({ type: 'conflated', reason: 'slow_consumer', symbols: ['A'] }),
      ]);
      expect(sut.isReplaying(client)).toBe(false);
      expect(sut.subscriptions(client).map((s) => s.mode)).toEqual(['conflated']);
    });
  });

  describe('the absolute cap on unsent bytes', () => {
    const capped = { ...options, degradedGrowthBytes: 1_000_000, maxClientBytes: 8000 };

    it('disconnects a socket following candles only', () => {
      const sut = new FanOut(capped);
      const sink = new FakeSink();
      sut.subscribeCandles(sut.addClient(sink), 'A', '1m');
      sink.buffered = 8001;
      sut.onCandles([
        { symbol: 'A', interval: '1m', t: 0, o: 1, h: 1, l: 1, c: 1, v: 1, n: 1, closed: false },
      ]);
      sut.flush(0);
      expect(sink.notices).toEqual([
        expect.objectContaining({ type: 'disconnecting', reason: 'slow_consumer' }),
      ]);
      expect(sink.disconnected).toBe('slow consumer');
      expect(sut.clientCount).toBe(0);
    });

    it('disconnects a conflated socket past the cap although its growth bound is far off', () => {
      const sut = new FanOut(capped);
      const sink = new FakeSink();
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, 'A', 'conflated', 1, 100);
      sink.buffered = 7000;
      sut.onTick(tick('A'));
      sut.flush(0);
      expect(sink.disconnected).toBeUndefined();
      sink.buffered = 9000;
      sut.onTick(tick('A'));
      sut.flush(200);
      expect(sink.disconnected).toBe('slow consumer');
    });

    it('disconnects a socket in the middle of a replay', () => {
      const sut = new FanOut({ ...capped, slowClientBytes: 100_000 });
      const sink = new FakeSink();
      sink.buffered = 60_000;
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, 'A', 'full', 11, undefined, missed(10));
      sut.flush(0);
      expect(sink.disconnected).toBe('slow consumer');
      expect(sut.isReplaying(client)).toBe(false);
    });
  });

  it('gives full mode back to a conflated socket only once its backlog is gone, keeping its drop bound until then', () => {
    const sut = new FanOut(options);
    const sink = new FakeSink();
    const client = sut.addClient(sink);
    sut.subscribeTicks(client, 'A', 'full', 1);
    sink.buffered = 2000;
    sut.onTick(tick('A'));
    sut.flush(0);
    expect(sut.restore(client)).toBe(false);
    sink.buffered = 7100; // grew by more than 5000 since conflation: a re-subscribe did not reset that
    sut.onTick(tick('A'));
    sut.flush(500);
    expect(sink.disconnected).toBe('slow consumer');

    const reading = new FakeSink();
    const again = sut.addClient(reading);
    sut.subscribeTicks(again, 'A', 'full', 1);
    reading.buffered = 2000;
    sut.onTick(tick('A'));
    sut.flush(1000);
    reading.buffered = 900;
    expect(sut.restore(again)).toBe(true);
    expect(sut.restore(again)).toBe(true);
  });

  it('reports a client closed once removed, and counts its subscriptions', () => {
    const sut = new FanOut(options);
    const client = sut.addClient(new FakeSink());
    sut.subscribeTicks(client, 'A', 'full', 1);
    sut.subscribeCandles(client, 'A', '1m');
    expect(sut.subscriptionCount(client)).toBe(2);
    expect(sut.isClosed(client)).toBe(false);
    sut.removeClient(client);
    expect(sut.isClosed(client)).toBe(true);
    expect(sut.subscriptionCount(client)).toBe(0);
  });

  describe('with pre-built wire frames', () => {
    it('builds a frame once per part and shares it between sockets that send that part alone', () => {
      const f = framing();
      const sut = new FanOut({ ...options, wire: { ...SOCKET_IO_WIRE, frame: f.frame } });
      const aOnly = [new FakeSink(true), new FakeSink(true), new FakeSink(true)];
      for (const sink of aOnly) sut.subscribeTicks(sut.addClient(sink), 'A', 'full', 1);
      const both = new FakeSink(true);
      const client = sut.addClient(both);
      sut.subscribeTicks(client, 'A', 'full', 1);
      sut.subscribeTicks(client, 'B', 'full', 1);
      sut.onTick(tick('A'));
      sut.onTick(tick('B'));
      sut.onTick(tick('A'));
      sut.flush(0);
      expect(f.calls).toHaveLength(2); // A's shared frame, and the frame of the socket with A and B
      for (const sink of aOnly) {
        expect(sink.frames).toEqual([aOnly[0].frames[0]]);
        expect(sink.ticks().map((t) => `${t.symbol}${t.seq}`)).toEqual(['A1', 'A2']);
      }
      expect(both.frames).toHaveLength(1);
      expect(both.ticks().map((t) => `${t.symbol}${t.seq}`)).toEqual(['A1', 'A2', 'B1']);
    });

    it('sends the packet through write() when the socket cannot take a frame now', () => {
      const sut = new FanOut({ ...options, wire: SOCKET_IO_WIRE });
      const direct = new FakeSink(true);
      const queued = new FakeSink(false);
      sut.subscribeTicks(sut.addClient(direct), 'A', 'full', 1);
      sut.subscribeTicks(sut.addClient(queued), 'A', 'full', 1);
      sut.onTick(tick('A'));
      sut.flush(0);
      expect(direct.frames).toHaveLength(1);
      expect(queued.frames).toHaveLength(0);
      expect(queued.packets).toEqual(direct.packets);
    });

    it('never frames a part that is not ASCII', () => {
      const f = framing();
      const sut = new FanOut({ ...options, wire: { ...SOCKET_IO_WIRE, frame: f.frame } });
      const sink = new FakeSink(true);
      sut.subscribeTicks(sut.addClient(sink), 'É', 'full', 1);
      sut.onTick(tick('É'));
      sut.flush(0);
      expect(f.calls).toHaveLength(0);
      expect(sink.frames).toHaveLength(0);
      expect(sink.ticks().map((t) => t.symbol)).toEqual(['É']);
    });
  });

  describe('time-sliced writes', () => {
    /** `n` sockets following A in full mode from its first tick. */
    function followers(sut: FanOut, n: number): FakeSink[] {
      return Array.from({ length: n }, () => {
        const sink = new FakeSink();
        sut.subscribeTicks(sut.addClient(sink), 'A', 'full', 1);
        return sink;
      });
    }
    /** A budget that lasts for `looks` looks at it. */
    const looks = (n: number) => () => n-- > 0;

    it('writes a window to as many sockets as its budget allows, and the rest on drain()', () => {
      const sut = new FanOut(options);
      const sinks = followers(sut, SLICE_CHECK * 3);
      sut.onTick(tick('A'));
      expect(sut.flush(0, looks(0))).toBe(true);
      expect(sinks.filter((s) => s.packets.length === 1)).toHaveLength(SLICE_CHECK);
      expect(sut.waitingClients).toBe(SLICE_CHECK * 2);
      expect(sut.drain(looks(1))).toBe(false);
      expect(sut.waitingClients).toBe(0);
      for (const sink of sinks) expect(sink.ticks().map((t) => t.seq)).toEqual([1]);
    });

    it('writes everything at once without a budget', () => {
      const sut = new FanOut(options);
      const sinks = followers(sut, SLICE_CHECK * 3 + 1);
      sut.onTick(tick('A'));
      expect(sut.flush(0)).toBe(false);
      for (const sink of sinks) expect(sink.packets).toHaveLength(1);
    });

    it('ends no window while the last one is still being written: its ticks go in the next, in order', () => {
      const sut = new FanOut(options);
      const sinks = followers(sut, SLICE_CHECK * 3);
      sut.onTick(tick('A'));
      sut.flush(0, looks(0));
      sut.onTick(tick('A'));
      // Time for one more slice of window 1 only: tick 2 stays for the next window.
      expect(sut.flush(25, looks(0))).toBe(true);
      expect(sinks.filter((s) => s.packets.length === 1)).toHaveLength(SLICE_CHECK * 2);
      sut.onTick(tick('A'));
      expect(sut.flush(50)).toBe(false);
      for (const sink of sinks) {
        expect(sink.tickFrames().map((f) => f.map((t) => t.seq))).toEqual([[1], [2, 3]]);
      }
    });

    it("reports a window once its last frame is written, with its oldest tick's ts", () => {
      const sut = new FanOut(options);
      const written: number[] = [];
      sut.onWindowWritten = (ts) => written.push(ts);
      followers(sut, SLICE_CHECK * 2);
      const b = new FakeSink();
      sut.subscribeTicks(sut.addClient(b), 'B', 'full', 1);
      sut.onTick(tick('B', 90));
      sut.onTick(tick('A', 100));
      sut.onTick(tick('A', 110));
      sut.flush(120, looks(0));
      expect(written).toEqual([]);
      sut.drain();
      expect(written).toEqual([90]);
      // A window with nothing to write reports nothing.
      sut.flush(150);
      expect(written).toEqual([90]);
    });

    it('writes nothing to a socket that closed while it waited', () => {
      const sut = new FanOut(options);
      followers(sut, SLICE_CHECK);
      const last = new FakeSink();
      const client = sut.addClient(last);
      sut.subscribeTicks(client, 'A', 'full', 1);
      sut.onTick(tick('A'));
      sut.flush(0, looks(0));
      // Its socket went away between two slices.
      sut.removeClient(client);
      expect(sut.drain()).toBe(false);
      expect(last.packets).toHaveLength(0);
    });
  });

  describe('notices', () => {
    it('tells a socket that connects while the stream is stalled, and not once it recovered', () => {
      const sut = new FanOut(options);
      const before = new FakeSink();
      sut.addClient(before);
      sut.broadcastNotice({ type: 'stalled', message: 'the bus is unreachable' });
      const during = new FakeSink();
      sut.addClient(during);
      expect(during.notices).toEqual([{ type: 'stalled', message: 'the bus is unreachable' }]);
      sut.broadcastNotice({ type: 'recovered', message: 'ticks flow again' });
      const after = new FakeSink();
      sut.addClient(after);
      expect(after.notices).toEqual([]);
      expect(during.notices.map((n) => n.type)).toEqual(['stalled', 'recovered']);
      expect(before.notices.map((n) => n.type)).toEqual(['stalled', 'recovered']);
    });
  });

  describe('compact encoding', () => {
    const compact = { ...options, pricePrecision: () => 2 };
    const sub = (sut: FanOut, sink: FakeSink, fromSeq = 1, symbol = 'A') => {
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, symbol, 'full', fromSeq, undefined, undefined, 'compact');
      return client;
    };

    it('reports the encoding in the subscription list, and only for compact', () => {
      const sut = new FanOut(compact);
      const client = sub(sut, new FakeSink());
      sut.subscribeTicks(client, 'B', 'full', 1);
      sut.subscribeTicks(client, 'C', 'conflated', 1, 100, undefined, 'compact');
      expect(sut.subscriptions(client)).toEqual([
        { symbol: 'A', channel: 'ticks', mode: 'full', encoding: 'compact' },
        { symbol: 'B', channel: 'ticks', mode: 'full' },
        { symbol: 'C', channel: 'ticks', mode: 'conflated', throttleMs: 100, encoding: 'compact' },
      ]);
      expect(sut.followers('A')).toBe(1);
      sut.unsubscribe(client, { symbol: 'A', channel: 'ticks' });
      expect(sut.followers('A')).toBe(0);
    });

    it('encodes a window once and shares it: a keyframe-led part first, then deltas that decode to the JSON ticks', () => {
      const f = framing();
      const sut = new FanOut({ ...compact, wire: { ...SOCKET_IO_WIRE, frame: f.frame } });
      const sinks = [new FakeSink(true), new FakeSink(true), new FakeSink(true)];
      for (const sink of sinks) sub(sut, sink);
      const json = new FakeSink(true);
      sut.subscribeTicks(sut.addClient(json), 'A', 'full', 1);
      for (let w = 0; w < 4; w++) {
        for (let i = 0; i < 3; i++) sut.onTick(tick('A', 1000 + w * 25 + i));
        sut.flush(w * 25);
      }
      // Per window: one compact frame for all three sockets, one JSON frame.
      expect(f.calls).toHaveLength(8);
      for (const sink of sinks) {
        expect(sink.frames).toEqual(sinks[0].frames);
        expect(sink.keyframes()).toEqual([1, 0, 0, 0]);
        expect(sink.decoded()).toEqual(json.ticks());
      }
      expect(json.ticks().map((t) => t.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(sinks[0].frames[1].length).toBeLessThan(json.frames[1].length / 3);
    });

    it('gives a follower that joins mid-stream a keyframe, without changing what the others get', () => {
      const sut = new FanOut(compact);
      const early = new FakeSink();
      sub(sut, early);
      sut.onTick(tick('A'));
      sut.onTick(tick('A'));
      sut.flush(0);
      const late = new FakeSink();
      sub(sut, late, 4); // its snapshot held seq 3
      sut.onTick(tick('A')); // 3, covered by the snapshot
      sut.onTick(tick('A')); // 4
      sut.flush(25);
      sut.onTick(tick('A')); // 5
      sut.flush(50);
      expect(early.keyframes()).toEqual([1, 0, 0]);
      expect(late.keyframes()).toEqual([1, 0]);
      expect(early.decoded().map((t) => t.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(late.decoded()).toEqual(early.decoded().slice(3));
    });

    it('starts a socket with a keyframe wherever its first window begins, and after a seq gap', () => {
      const sut = new FanOut(compact);
      const a = new FakeSink();
      sub(sut, a);
      sut.onTick(tick('A'));
      sut.flush(0);
      seqs.A += 5; // the feed skipped seqs 2-6
      sut.onTick(tick('A'));
      sut.onTick(tick('A'));
      sut.flush(25);
      expect(a.keyframes()).toEqual([1, 1]);
      expect(a.decoded().map((t) => t.seq)).toEqual([1, 7, 8]);
    });

    it('gives JSON and compact followers of one symbol each their own encoding', () => {
      const sut = new FanOut(compact);
      const json = new FakeSink();
      const packed = new FakeSink();
      sut.subscribeTicks(sut.addClient(json), 'A', 'full', 1);
      const client = sub(sut, packed);
      sut.subscribeTicks(client, 'B', 'full', 1); // JSON for B on the same socket
      for (let i = 0; i < 5; i++) {
        sut.onTick(tick('A', i));
        sut.onTick(tick('B', i));
        sut.flush(i * 25);
      }
      expect(json.compactFrames()).toEqual([]);
      expect(json.ticks().map((t) => t.symbol)).toEqual(['A', 'A', 'A', 'A', 'A']);
      expect(packed.decoded()).toEqual(json.ticks());
      expect(packed.ticks().map((t) => t.symbol)).toEqual(['B', 'B', 'B', 'B', 'B']);
    });

    it('replays a resume in compact packets that each start with a keyframe, then streams on without a gap', () => {
      const roomy = { ...compact, slowClientBytes: 10_000_000, maxClientBytes: 20_000_000 };
      const sut = new FanOut(roomy);
      const sink = new FakeSink();
      const gap = missed(REPLAY_FRAME_TICKS + 10);
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, 'A', 'full', gap.length + 1, undefined, gap.slice(), 'compact');
      sut.onTick(tick('A'));
      sut.flush(0);
      sut.onTick(tick('A'));
      sut.flush(25);
      expect(sink.packets.every((p) => p.startsWith('2["t"'))).toBe(true);
      expect(sink.compactFrames().map((f) => f.length)).toEqual([1, 1, 1, 1]);
      // Two replay packets, each led by a keyframe; the first live window after the replay
      // starts with one too; the next is deltas.
      expect(sink.keyframes()).toEqual([1, 1, 1, 0]);
      const seqs = sink.decoded().map((t) => t.seq);
      expect(seqs).toEqual(Array.from({ length: gap.length + 2 }, (_, i) => i + 1));
      expect(sink.decoded()).toEqual(
        JSON.parse(JSON.stringify([...gap, ...sink.decoded().slice(-2)])),
      );
    });

    it('holds live ticks behind a compact replay the socket has not read, in order', () => {
      const sut = new FanOut(compact);
      const sink = new FakeSink();
      const write = sink.write.bind(sink);
      sink.write = (packet) => {
        write(packet);
        sink.buffered += packet.length;
      };
      const client = sut.addClient(sink);
      sut.subscribeTicks(client, 'A', 'full', 81, undefined, missed(80), 'compact');
      sink.buffered = 600;
      for (let i = 0; i < 5; i++) sut.onTick(tick('A'));
      sut.flush(0);
      for (let now = 25; sut.isReplaying(client); now += 25) {
        sink.buffered = 0;
        sut.onTick(tick('A'));
        sut.flush(now);
      }
      sink.buffered = 0;
      sut.onTick(tick('A'));
      sut.flush(10_000);
      const seqs = sink.decoded().map((t) => t.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      expect(seqs.length).toBeGreaterThan(86);
      expect(sink.keyframes().every((k) => k <= 1)).toBe(true);
    });

    it('sends conflated compact followers a keyframe of the latest tick, shared', () => {
      const sut = new FanOut(compact);
      const a = new FakeSink();
      const b = new FakeSink();
      for (const sink of [a, b]) {
        sut.subscribeTicks(sut.addClient(sink), 'A', 'conflated', 1, 100, undefined, 'compact');
      }
      const json = new FakeSink();
      sut.subscribeTicks(sut.addClient(json), 'A', 'conflated', 1, 100);
      for (let now = 0; now <= 500; now += 10) {
        sut.onTick(tick('A', now));
        sut.flush(now);
      }
      expect(a.keyframes().every((k) => k === 1)).toBe(true);
      expect(a.decoded()).toEqual(json.ticks());
      expect(b.packets).toEqual(a.packets);
      expect(a.decoded().length).toBeGreaterThanOrEqual(5);
    });

    it('keeps the compact encoding when a slow socket is conflated, and disconnects it like any other', () => {
      const sut = new FanOut(compact);
      const sink = new FakeSink();
      const client = sub(sut, sink);
      sink.buffered = 2000;
      sut.onTick(tick('A'));
      sut.flush(0);
      expect(sink.notices).toEqual([
        expect.objectContaining({ type: 'conflated', symbols: ['A'], throttleMs: 250 }),
      ]);
      expect(sut.subscriptions(client)).toEqual([
        { symbol: 'A', channel: 'ticks', mode: 'conflated', throttleMs: 250, encoding: 'compact' },
      ]);
      sut.onTick(tick('A', 300));
      sut.flush(300);
      expect(sink.keyframes().at(-1)).toBe(1);
      expect(sink.decoded().at(-1)?.seq).toBe(2);
      sink.buffered = 7100;
      sut.onTick(tick('A'));
      sut.flush(600);
      expect(sink.disconnected).toBe('slow consumer');
    });
  });
});
