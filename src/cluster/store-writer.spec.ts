import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { Tick } from '../contracts';
import { StoreFencedError } from '../storage/quote-store';
import { SqliteQuoteStore } from '../storage/sqlite/sqlite-quote.store';
import { tick } from './cluster.contract';
import { encodeTick } from './fenced-publisher';
import type { StreamMessage } from './jetstream/jetstream-tick.consumers';
import { Readiness, StoreWriteHealth } from '../common/readiness';
import { StoreWriter, type DurableTicks } from './store-writer';

/** AAPL's tick `seq`, all within one minute. */
const aapl = (seq: number): Tick => tick('AAPL', seq, 100 + seq / 100);

/** The durable consumer: the spec delivers messages; acks are recorded by stream sequence. */
class FakeDurable implements DurableTicks {
  readonly acked: number[] = [];
  private onMessage: ((m: StreamMessage, ack: () => void) => void) | undefined;
  private seq = 0;

  durable(onMessage: (m: StreamMessage, ack: () => void) => void, _options?: unknown) {
    this.onMessage = onMessage;
    return Promise.resolve({ stop: () => (this.onMessage = undefined) });
  }

  /** Whether the writer still reads (its consumer was not stopped). */
  get reading(): boolean {
    return this.onMessage !== undefined;
  }

  /** Delivers ticks as the next stream messages (or again, with `streamSeq` given). */
  deliver(ticks: Tick[], streamSeq?: number): void {
    for (const t of ticks) {
      const seq = streamSeq ?? ++this.seq;
      this.onMessage!({ seq, data: encodeTick(t), pending: 0 }, () => this.acked.push(seq));
    }
  }
}

describe('StoreWriter', () => {
  let dir: string;
  let store: SqliteQuoteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-writer-'));
    store = new SqliteQuoteStore({ file: join(dir, 'quotes.db') });
    await store.init();
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function writer(term: number, onFenced = jest.fn()) {
    const stream = new FakeDurable();
    const sut = new StoreWriter(store, stream, {
      term,
      flushMs: 3_600_000,
      symbols: ['AAPL'],
      onFenced,
    });
    await sut.start();
    return { sut, stream, onFenced };
  }

  it('writes what the stream delivered with its candles, then acknowledges up to its last message', async () => {
    const { sut, stream } = await writer(3);
    stream.deliver([aapl(1), aapl(2), aapl(3)]);
    expect(stream.acked).toEqual([]);
    await sut.flush();
    expect(stream.acked).toEqual([3]);
    expect((await store.ticks('AAPL', { limit: 10, order: 'asc' })).map((t) => t.seq)).toEqual([
      1, 2, 3,
    ]);
    const [minute] = await store.candles('AAPL', '1m', { limit: 1, order: 'latest' });
    expect(minute).toMatchObject({ n: 3, v: 30, o: aapl(1).last, c: aapl(3).last });
    expect(await store.writerTerm()).toBe(3);
    await sut.stop();
  });

  it('skips a message delivered again, so a tick and its candle count once', async () => {
    const { sut, stream } = await writer(1);
    stream.deliver([aapl(1), aapl(2)]);
    stream.deliver([aapl(1)], 1);
    await sut.flush();
    stream.deliver([aapl(3)]);
    await sut.flush();
    const [minute] = await store.candles('AAPL', '1m', { limit: 1, order: 'latest' });
    expect(minute.n).toBe(3);
    expect(stream.acked).toEqual([2, 3]);
    await sut.stop();
  });

  it('continues after a writer that committed but died before acknowledging, whatever the clock says', async () => {
    const first = await writer(1);
    first.stream.deliver([aapl(1), aapl(2)]);
    await first.sut.flush();
    // The same ticks again from the ack floor, as the next writer's consumer delivers them.
    const second = await writer(2);
    second.stream.deliver([aapl(1), aapl(2), aapl(3)]);
    await second.sut.flush();
    const [minute] = await store.candles('AAPL', '1m', { limit: 1, order: 'latest' });
    expect(minute).toMatchObject({ n: 3, v: 30 });
    expect((await store.ticks('AAPL', { limit: 10, order: 'asc' })).map((t) => t.seq)).toEqual([
      1, 2, 3,
    ]);
    await second.sut.stop();
  });

  it('keeps a batch the store refused and acknowledges nothing until a write succeeds', async () => {
    const { sut, stream } = await writer(1);
    const write = jest.spyOn(store, 'write').mockRejectedValueOnce(new Error('connection lost'));
    stream.deliver([aapl(1), aapl(2)]);
    await sut.flush();
    expect(stream.acked).toEqual([]);
    stream.deliver([aapl(3)]);
    await sut.flush();
    expect(stream.acked).toEqual([3]);
    expect((await store.ticks('AAPL', { limit: 10, order: 'asc' })).map((t) => t.seq)).toEqual([
      1, 2, 3,
    ]);
    write.mockRestore();
    await sut.stop();
  });

  it('tells readiness while the store refuses its writes or it holds too many ticks', async () => {
    const readiness = new Readiness();
    const stream = new FakeDurable();
    const sut = new StoreWriter(store, stream, {
      term: 1,
      flushMs: 3_600_000,
      symbols: ['AAPL'],
      onFenced: jest.fn(),
      health: new StoreWriteHealth(readiness, 2),
    });
    await sut.start();
    const write = jest.spyOn(store, 'write').mockRejectedValueOnce(new Error('connection lost'));
    stream.deliver([aapl(1), aapl(2), aapl(3)]);
    expect(readiness.status().waiting).toEqual([
      'store writes behind: 3 ticks wait to be written (more than 2)',
    ]);
    await sut.flush();
    expect(readiness.status().waiting).toEqual([
      'the store refuses writes: connection lost',
      'store writes behind: 3 ticks wait to be written (more than 2)',
    ]);
    await sut.flush();
    expect(readiness.status()).toEqual({ ready: true, waiting: [] });
    write.mockRestore();
    await sut.stop();
  });

  it('stops for good once a writer with a higher term has written', async () => {
    const old = await writer(4);
    await writer(5);
    old.stream.deliver([aapl(1)]);
    await old.sut.flush();
    expect(old.stream.reading).toBe(false);
    expect(old.onFenced).toHaveBeenCalledTimes(1);
    expect(old.stream.acked).toEqual([]);
    expect(await store.ticks('AAPL', { limit: 10, order: 'asc' })).toEqual([]);
    await expect(
      store.write({ ticks: [aapl(9)], candles: [], writerTerm: 4 }),
    ).rejects.toBeInstanceOf(StoreFencedError);
  });

  it('never starts writing when stopped while it was starting (the lease went meanwhile)', async () => {
    const stream = new FakeDurable();
    let opened!: () => void;
    const slow: DurableTicks = {
      durable: (onMessage, options) =>
        new Promise((resolve) => (opened = () => resolve(stream.durable(onMessage, options)))),
    };
    const sut = new StoreWriter(store, slow, {
      term: 1,
      flushMs: 10,
      symbols: ['AAPL'],
      onFenced: jest.fn(),
    });
    const starting = sut.start();
    await new Promise((r) => setTimeout(r, 50));
    await sut.stop();
    opened();
    await starting;
    expect(stream.reading).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.ticks('AAPL', { limit: 10, order: 'asc' })).toEqual([]);
  });
});
