import fc from 'fast-check';
import { jest } from '@jest/globals';
import { tick } from './cluster.contract';
import { FencedError, PublishBacklogError } from './cluster.errors';
import {
  decodeBusTick,
  decodeTick,
  encodeTick,
  type FenceEvent,
  FencedTickPublisher,
  tickMsgId,
  tickSubject,
} from './fenced-publisher';
import { FakeTickStream } from './tick-stream.fake';
import type { TickStream } from './tick-stream';

function setup(stream = new FakeTickStream()) {
  const onFenced = jest.fn<(event: FenceEvent) => void>();
  const sut = new FencedTickPublisher(stream, { onFenced });
  return { sut, stream, onFenced };
}

describe('tickSubject and tickMsgId', () => {
  it('build ticks.<SYMBOL> and <symbol>:<seq>, refusing symbols that are not one token', () => {
    expect(tickSubject('EURUSD')).toBe('ticks.EURUSD');
    expect(tickMsgId({ symbol: 'EURUSD', seq: 7 })).toBe('EURUSD:7');
    expect(() => tickSubject('A.B')).toThrow(RangeError);
    expect(() => tickSubject('>')).toThrow(RangeError);
  });
});

describe('the bus encoding of a tick', () => {
  it('carries the exact mid beside the public tick, and decodes to the same tick bytes', () => {
    const t = tick('AAPL', 7, 187.25);
    const mid = 187.30000000000001 + 1e-9;
    const { tick: back, mid: carried } = decodeBusTick(encodeTick(t, mid));
    expect(carried).toBe(mid);
    expect(JSON.stringify(back)).toBe(JSON.stringify(t));
    expect(decodeBusTick(encodeTick(t))).toEqual({ tick: t });
  });

  it('refuses a message that is not a tick with a TypeError', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(() => decodeBusTick(bytes('{"symbol":"AAPL"}'))).toThrow(TypeError);
    expect(() => decodeBusTick(bytes('[1,2]'))).toThrow(TypeError);
    expect(() => decodeBusTick(bytes('not json'))).toThrow(SyntaxError);
  });

  it('hands the mids of the last stored ticks to the node that takes over', async () => {
    const stream = new FakeTickStream();
    const { sut: before } = setup(stream);
    await before.takeOver(['AAPL', 'MSFT']);
    await before.publish(tick('AAPL', 1, 101), 101.0625);
    await before.publish(tick('MSFT', 1, 401));
    const { sut } = setup(stream);
    await sut.takeOver(['AAPL', 'MSFT']);
    expect(sut.lastMids()).toEqual(new Map([['AAPL', 101.0625]]));
  });
});

describe('FencedTickPublisher', () => {
  it('sends nothing once its lease is over by its own clock, even what was queued before', async () => {
    const stream = new FakeTickStream();
    let leader = true;
    const onFenced = jest.fn<(event: FenceEvent) => void>();
    const sut = new FencedTickPublisher(stream, { onFenced, holdsLease: () => leader });
    await sut.takeOver(['AAPL']);
    await sut.publish(tick('AAPL', 1, 101));
    const queued = sut.publish(tick('AAPL', 2, 102));
    leader = false; // the process was paused past the TTL while the send waited
    await expect(queued).rejects.toBeInstanceOf(FencedError);
    await expect(sut.publish(tick('AAPL', 3, 103))).rejects.toBeInstanceOf(FencedError);
    expect(stream.accepted.map((m) => decodeTick(m.data).seq)).toEqual([1]);
    expect(onFenced).toHaveBeenCalledWith({ symbol: 'AAPL', reason: 'lease-lost' });
  });

  it('fences each publish on the sequence of the previous ack, with <symbol>:<seq> ids', async () => {
    const { sut, stream } = setup();
    await sut.takeOver(['AAPL', 'MSFT']);
    const publish = jest.spyOn(stream, 'publish');
    await sut.publish(tick('AAPL', 1, 101));
    await sut.publish(tick('MSFT', 1, 401));
    await sut.publish(tick('AAPL', 2, 102));
    expect(publish.mock.calls.map(([subject, , options]) => [subject, options])).toEqual([
      ['ticks.AAPL', { expectedLastSubjectSequence: 0, msgId: 'AAPL:1' }],
      ['ticks.MSFT', { expectedLastSubjectSequence: 0, msgId: 'MSFT:1' }],
      ['ticks.AAPL', { expectedLastSubjectSequence: 1, msgId: 'AAPL:2' }],
    ]);
  });

  it('takes over from what is stored and returns the last tick of each symbol', async () => {
    const stream = new FakeTickStream();
    const before = setup(stream).sut;
    await before.takeOver(['AAPL']);
    await before.publish(tick('AAPL', 1, 101));
    await before.publish(tick('AAPL', 2, 102));
    const { sut } = setup(stream);
    const last = await sut.takeOver(['AAPL', 'MSFT']);
    expect(last).toEqual(
      new Map([
        ['AAPL', tick('AAPL', 2, 102)],
        ['MSFT', null],
      ]),
    );
    expect(await sut.publish(tick('AAPL', 3, 103))).toEqual({ seq: 3, duplicate: false });
  });

  it('keeps one symbol strictly sequential: the next publish waits for the previous ack', async () => {
    const { sut, stream } = setup();
    await sut.takeOver(['AAPL', 'MSFT']);
    stream.calls = 0;
    const releases: (() => void)[] = [];
    stream.beforeApply = () => new Promise<void>((resolve) => releases.push(resolve));
    const first = sut.publish(tick('AAPL', 1, 101));
    const second = sut.publish(tick('AAPL', 2, 102));
    const other = sut.publish(tick('MSFT', 1, 401));
    await Promise.resolve();
    await Promise.resolve();
    expect(stream.calls).toBe(2); // AAPL:1 and MSFT:1 in flight, AAPL:2 waits
    releases.shift()!();
    releases.shift()!();
    await Promise.all([first, other]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.calls).toBe(3);
    releases.shift()!();
    expect(await second).toEqual({ seq: 3, duplicate: false });
  });

  it('retries a publish whose ack was lost and accepts the duplicate that is its own', async () => {
    const { sut, stream, onFenced } = setup();
    await sut.takeOver(['AAPL']);
    stream.loseAcks = 1;
    expect(await sut.publish(tick('AAPL', 1, 101))).toEqual({ seq: 1, duplicate: true });
    expect(await sut.publish(tick('AAPL', 2, 102))).toEqual({ seq: 2, duplicate: false });
    expect(stream.accepted).toHaveLength(2);
    expect(onFenced).not.toHaveBeenCalled();
  });

  it('steps down when another node has published the subject, and publishes nothing more', async () => {
    const stream = new FakeTickStream();
    const { sut, onFenced } = setup(stream);
    await sut.takeOver(['AAPL', 'MSFT']);
    await sut.publish(tick('AAPL', 1, 101));
    const other = setup(stream).sut;
    await other.takeOver(['AAPL']);
    await other.publish(tick('AAPL', 2, 202));
    await other.publish(tick('AAPL', 3, 203));
    // A tick id the other node has not used, so the server reaches the sequence check.
    await expect(sut.publish(tick('AAPL', 4, 104))).rejects.toBeInstanceOf(FencedError);
    expect(onFenced).toHaveBeenCalledWith(
      expect.objectContaining({ symbol: 'AAPL', reason: 'wrong-last-sequence' }),
    );
    const calls = stream.calls;
    await expect(sut.publish(tick('MSFT', 1, 401))).rejects.toBeInstanceOf(FencedError);
    expect(stream.calls).toBe(calls);
    expect(sut.fenced).toBe(true);
    expect(onFenced).toHaveBeenCalledTimes(1);
  });

  it('steps down when its tick id is already stored with other content', async () => {
    const stream = new FakeTickStream();
    const { sut, onFenced } = setup(stream);
    await sut.takeOver(['AAPL']);
    await stream.publish(tickSubject('AAPL'), encodeTick(tick('AAPL', 1, 999)), {
      expectedLastSubjectSequence: 0,
      msgId: 'AAPL:1',
    });
    await expect(sut.publish(tick('AAPL', 1, 101))).rejects.toBeInstanceOf(FencedError);
    expect(onFenced.mock.calls[0][0].reason).toBe('foreign-duplicate');
    expect(decodeTick(stream.accepted[0].data).last).toBe(999);
  });

  it('steps down when no attempt gets an answer, since the tick may or may not be stored', async () => {
    const { sut, stream, onFenced } = setup();
    await sut.takeOver(['AAPL']);
    stream.publish = () => Promise.reject(new Error('TIMEOUT'));
    await expect(sut.publish(tick('AAPL', 1, 101))).rejects.toBeInstanceOf(FencedError);
    expect(onFenced.mock.calls[0][0]).toMatchObject({ reason: 'unavailable' });
  });

  it('refuses a symbol it did not take over, and a backlog past maxPending', async () => {
    const stream = new FakeTickStream();
    stream.beforeApply = () => new Promise<void>(() => undefined);
    const sut = new FencedTickPublisher(stream, { maxPending: 2 });
    await expect(sut.publish(tick('AAPL', 1, 101))).rejects.toThrow('not taken over');
    stream.beforeApply = undefined;
    await sut.takeOver(['AAPL']);
    stream.beforeApply = () => new Promise<void>(() => undefined);
    void sut.publish(tick('AAPL', 1, 101));
    void sut.publish(tick('AAPL', 2, 102));
    await expect(sut.publish(tick('AAPL', 3, 103))).rejects.toBeInstanceOf(PublishBacklogError);
  });

  it('never stores a (symbol, seq) twice or out of order, nor acks a tick not its own, with two publishers racing', async () => {
    type Step =
      | { kind: 'publish'; node: 0 | 1; symbol: 'AAPL' | 'MSFT' }
      | { kind: 'takeOver'; skip: number }
      | { kind: 'deliver' }
      | { kind: 'loseAck' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant('publish' as const),
          node: fc.constantFrom(0 as const, 1 as const),
          symbol: fc.constantFrom('AAPL' as const, 'MSFT' as const),
        }),
      },
      // A node may resume from a later seq than the stream's last (a feed restored elsewhere).
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('takeOver' as const),
          skip: fc.integer({ min: 0, max: 2 }),
        }),
      },
      { weight: 6, arbitrary: fc.constant({ kind: 'deliver' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'loseAck' as const }) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(step, { minLength: 20, maxLength: 80 }),
        async (s, steps) => {
          const stream = new FakeTickStream();
          const symbols = ['AAPL', 'MSFT'];
          // Node 0 leads from an empty stream; node 1 takes over at a random point.
          const fencedAt: (number | null)[] = [null, null];
          const publishesAfterFence = [0, 0];
          const nodes = [0, 1].map((i) => {
            const view: TickStream = {
              publish: (...args) => {
                if (fencedAt[i] !== null) publishesAfterFence[i]++;
                return stream.publish(...args);
              },
              lastBySubject: (subject) => stream.lastBySubject(subject),
            };
            return new FencedTickPublisher(view, {
              onFenced: () => (fencedAt[i] = stream.accepted.length),
            });
          });
          await nodes[0].takeOver(symbols);
          stream.beforeApply = () => s.schedule(Promise.resolve());
          stream.beforeReply = () => s.schedule(Promise.resolve());
          const nextSeq = [new Map(symbols.map((x) => [x, 1])), new Map<string, number>()];
          let takingOver: Promise<void> | null = null;
          const acked: { ack: number; sent: ReturnType<typeof tick> }[] = [];
          for (const st of steps) {
            if (st.kind === 'publish') {
              const seqs = nextSeq[st.node];
              const seq = seqs.get(st.symbol);
              if (seq === undefined) continue; // node 1 has not taken over yet
              seqs.set(st.symbol, seq + 1);
              // Prices say which node made the tick, so the two nodes' ticks differ.
              const price = (st.node + 1) * 1_000 + seq;
              const sent = tick(st.symbol, seq, price);
              nodes[st.node].publish(sent).then(
                (ack) => acked.push({ ack: ack.seq, sent }),
                () => undefined,
              );
            } else if (st.kind === 'takeOver') {
              if (takingOver) continue;
              let done = false;
              takingOver = nodes[1].takeOver(symbols).then((last) => {
                for (const x of symbols) nextSeq[1].set(x, (last.get(x)?.seq ?? 0) + 1 + st.skip);
                done = true;
              });
              // Its reads race node 0's publishes in flight: calls are released in random order.
              while (!done) {
                if (s.count() > 0) await s.waitOne();
                else await new Promise((resolve) => setImmediate(resolve));
              }
            } else if (st.kind === 'loseAck') {
              stream.loseAcks++;
            } else if (s.count() > 0) {
              await s.waitOne();
            }
          }
          // Answers schedule further calls (the next tick of a lane, a check of a duplicate).
          do {
            await s.waitAll();
            await new Promise((resolve) => setImmediate(resolve));
          } while (s.count() > 0);
          await takingOver;

          // An ack a publisher resolves is for its own tick, stored at that sequence.
          for (const { ack, sent } of acked) {
            expect(decodeTick(stream.accepted[ack - 1].data)).toEqual(sent);
          }
          const ids = stream.accepted.map((m) => m.msgId);
          expect(new Set(ids).size).toBe(ids.length);
          for (const symbol of symbols) {
            const seqs = stream.accepted
              .filter((m) => m.subject === tickSubject(symbol))
              .map((m) => decodeTick(m.data).seq);
            // Never back, never twice; without skips also without gaps.
            expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
            if (!steps.some((x) => x.kind === 'takeOver' && x.skip > 0)) {
              expect(seqs).toEqual(seqs.map((_, i) => i + 1));
            }
          }
          expect(publishesAfterFence).toEqual([0, 0]);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});
