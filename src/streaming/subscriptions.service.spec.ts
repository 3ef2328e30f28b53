import { InvalidPayloadError } from '../common/errors';
import type { SubscribeDto } from './dto/subscribe.dto';
import { checkSubscribe } from './subscriptions.service';

function problems(dto: SubscribeDto): string[] {
  try {
    checkSubscribe(dto);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPayloadError);
    return (err as InvalidPayloadError).problems;
  }
  throw new Error('expected InvalidPayloadError');
}

describe('checkSubscribe', () => {
  it('applies the defaults: full ticks, 250 ms throttle', () => {
    expect(checkSubscribe({ symbols: ['AAPL'] })).toEqual({
      channel: 'ticks',
      interval: undefined,
      mode: 'full',
      throttleMs: 250,
      encoding: 'json',
      resume: new Map(),
    });
  });

  it('names every field that does not fit the others, in one error', () => {
    expect(
      problems({ symbols: ['AAPL'], channel: 'candles', mode: 'conflated', throttleMs: 100 }),
    ).toEqual([
      'interval is required for the candles channel',
      'mode applies only to the ticks channel',
    ]);
    expect(problems({ symbols: ['AAPL'], interval: '1m', throttleMs: 100 })).toEqual([
      "interval applies only to the candles channel; use channel: 'candles'",
      "throttleMs applies only to mode 'conflated'",
    ]);
  });

  it('takes the compact encoding for ticks in either mode, and refuses it for candles', () => {
    expect(checkSubscribe({ symbols: ['AAPL'], encoding: 'compact' }).encoding).toBe('compact');
    expect(
      checkSubscribe({ symbols: ['AAPL'], mode: 'conflated', encoding: 'compact' }).encoding,
    ).toBe('compact');
    expect(
      problems({ symbols: ['AAPL'], channel: 'candles', interval: '1m', encoding: 'compact' }),
    ).toEqual(['encoding applies only to the ticks channel']);
  });

  it('orders resume points as symbols lists them, which is the order the replay budget is spent in', () => {
    const { resume } = checkSubscribe({
      symbols: ['MSFT', '7203', 'aapl'],
      resume: { AAPL: 1, MSFT: 2, 7203: 3 },
    });
    expect([...resume.keys()]).toEqual(['MSFT', '7203', 'AAPL']);
  });

  it('keys resume points by upper-cased symbol, and checks each against symbols', () => {
    expect(checkSubscribe({ symbols: [' aapl'], resume: { aapl: 7 } }).resume).toEqual(
      new Map([['AAPL', 7]]),
    );
    expect(
      problems({ symbols: ['AAPL'], mode: 'conflated', resume: { MSFT: 1, AAPL: -1 } }),
    ).toEqual([
      "resume applies only to the ticks channel in mode 'full'",
      'resume.MSFT is not among symbols',
      'resume.AAPL must be a non-negative integer seq',
    ]);
  });
});
