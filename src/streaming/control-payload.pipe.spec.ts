import type { ArgumentMetadata } from '@nestjs/common';
import { InvalidPayloadError } from '../common/errors';
import { createValidationPipe } from '../common/validation';
import { ControlPayloadPipe } from './control-payload.pipe';
import { SubscribeDto, UnsubscribeDto } from './dto/subscribe.dto';

// Nest hands a gateway's @MessageBody() to pipes as a 'body', like an HTTP body.
const payload = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({
  type: 'body',
  metatype,
});

function problems(value: unknown, metatype: ArgumentMetadata['metatype'] = SubscribeDto): string[] {
  try {
    new ControlPayloadPipe().transform(value, payload(metatype));
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPayloadError);
    return (err as InvalidPayloadError).problems;
  }
  throw new Error('expected InvalidPayloadError');
}

describe('ControlPayloadPipe', () => {
  const sut = new ControlPayloadPipe();

  it.each([
    ['a string', 'AAPL'],
    ['null', null],
    ['an array', [{ symbols: ['AAPL'] }]],
    ['nothing', undefined],
  ])('refuses %s: the payload must be an object', (_, value) => {
    expect(problems(value)).toEqual(['payload must be an object such as {"symbols": ["AAPL"]}']);
  });

  it('refuses a payload over 16 KB before looking at its fields', () => {
    const big = { symbols: 'AAPL', pad: 'x'.repeat(17_000) };
    expect(problems(big)).toEqual([
      expect.stringMatching(/^payload is \d+ bytes; the limit is 16384$/),
    ]);
  });

  it("names each bad field with the DTO's messages", () => {
    expect(problems({ symbols: ['AAPL'], mode: 'fast', throttleMs: 1 })).toEqual([
      "mode must be 'full' or 'conflated'",
      'throttleMs must be between 50 and 5000',
    ]);
    expect(problems({ symbols: [] }, UnsubscribeDto)).toEqual([
      'symbols must list at least one symbol',
    ]);
    expect(problems({ symbols: ['AAPL'], channel: 'candles', interval: '2m' })).toEqual([
      'interval must be one of 1s, 1m, 5m, 15m, 1h, 1d',
    ]);
    for (const encoding of ['COMPACT', 'msgpack', '', 1, ['compact'], { compact: true }]) {
      expect(problems({ symbols: ['AAPL'], encoding })).toEqual([
        "encoding must be 'json' or 'compact'",
      ]);
    }
  });

  it('returns the DTO, without fields it does not declare', () => {
    const dto = sut.transform({ symbols: ['AAPL'], mode: 'full', extra: 1 }, payload(SubscribeDto));
    expect(dto).toBeInstanceOf(SubscribeDto);
    expect(dto).toEqual({ symbols: ['AAPL'], mode: 'full' });
  });

  it('passes the socket and untyped parameters through', () => {
    const socket = { id: 'x' };
    expect(sut.transform(socket, { type: 'custom', metatype: Object })).toBe(socket);
    expect(sut.transform('AAPL', payload(undefined))).toBe('AAPL');
  });
});

describe('the global HTTP validation pipe', () => {
  it('leaves socket payloads to ControlPayloadPipe, so that its messages come first', async () => {
    const sut = createValidationPipe();
    await expect(sut.transform('AAPL', payload(SubscribeDto))).resolves.toBe('AAPL');
  });
});
