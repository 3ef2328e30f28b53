import { InvalidPayloadError, RateLimitedError } from '../common/errors';
import { MAX_PAYLOAD_BYTES, ControlRateLimit, parsePayload } from './control';
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
});
