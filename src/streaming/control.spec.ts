import { InvalidPayloadError, RateLimitedError } from '../common/errors';
import { MAX_PAYLOAD_BYTES, ControlQueue, ControlRateLimit, parsePayload } from './control';
import { SubscribeDto } from './dto/subscribe.dto';

describe('ControlRateLimit', () => {
  it('allows a burst up to the rate, then refills over time', () => {
    const sut = new ControlRateLimit(5, 0);
    for (let i = 0; i < 5; i++) sut.take(0);
    expect(() => sut.take(0)).toThrow(RateLimitedError);
    sut.take(200); // one token back after 200 ms at 5/s
    expect(() => sut.take(200)).toThrow(/limit is 5 per second/);
  });

  it('tells a flood from a burst', () => {
    const sut = new ControlRateLimit(2, 0);
    for (let i = 0; i < 2; i++) sut.take(0);
    for (let i = 0; i < 10; i++) expect(() => sut.take(0)).toThrow();
    expect(sut.flooding()).toBe(false);
    expect(() => sut.take(0)).toThrow();
    expect(sut.flooding()).toBe(true);
  });
});

describe('parsePayload', () => {
  it('names every problem', () => {
    try {
      parsePayload(SubscribeDto, { symbols: 'AAPL', mode: 'fast', throttleMs: 10 });
      throw new Error('expected a rejection');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidPayloadError);
      const problems = (err as InvalidPayloadError).problems.join('\n');
      expect(problems).toMatch(/symbols/);
      expect(problems).toMatch(/mode/);
      expect(problems).toMatch(/throttleMs/);
    }
  });

  it('refuses payloads over the size limit', () => {
    const big = { symbols: ['AAPL'], padding: 'x'.repeat(MAX_PAYLOAD_BYTES) };
    expect(() => parsePayload(SubscribeDto, big)).toThrow(/limit is 16384/);
  });

  it('refuses a payload nested thousands deep with a clear error, not a stack overflow', () => {
    let nested: unknown = 'AAPL';
    for (let i = 0; i < 5000; i++) nested = [nested];
    expect(() => parsePayload(SubscribeDto, { symbols: nested })).toThrow(
      /nested deeper than 8 levels/,
    );
  });

  it.each([
    [{ symbols: ['AAPL'], resume: { constructor: 197 } }, 'constructor'],
    [{ symbols: ['AAPL'], x: { constructor: [] } }, 'constructor'],
    [JSON.parse('{"symbols":["AAPL"],"__proto__":{"polluted":1}}'), '__proto__'],
  ])('refuses %j: a field named %s', (payload, key) => {
    expect(() => parsePayload(SubscribeDto, payload)).toThrow(new RegExp(`field named "${key}"`));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("accepts the protocol's own payloads", () => {
    const dto = parsePayload(SubscribeDto, { symbols: ['AAPL', 'MSFT'], resume: { AAPL: 10 } });
    expect(dto.symbols).toEqual(['AAPL', 'MSFT']);
  });
});

describe('ControlQueue', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('runs the next message only once the one before it is done, in arrival order', async () => {
    const sut = new ControlQueue();
    const order: string[] = [];
    const first = deferred();
    const a = sut.run(async () => {
      order.push('a start');
      await first.promise;
      order.push('a end');
      return 'a';
    });
    const b = sut.run(() => {
      order.push('b');
      return 'b';
    });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a start']);
    first.resolve();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(order).toEqual(['a start', 'a end', 'b']);
  });

  it('goes on after a message that failed, and hands its error to that message alone', async () => {
    const sut = new ControlQueue();
    const failed = sut.run(() => {
      throw new RateLimitedError('no');
    });
    const next = sut.run(() => 'next');
    await expect(failed).rejects.toThrow('no');
    await expect(next).resolves.toBe('next');
  });

  it('answers RATE_LIMITED past maxQueued waiting messages, and takes more once they are done', async () => {
    const sut = new ControlQueue(2);
    const gate = deferred();
    const running = [sut.run(() => gate.promise), sut.run(() => 'second')];
    await expect(sut.run(() => 'third')).rejects.toThrow(RateLimitedError);
    gate.resolve();
    await Promise.all(running);
    await expect(sut.run(() => 'later')).resolves.toBe('later');
  });
});
