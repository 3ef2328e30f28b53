import { InvalidPayloadError } from '../common/errors';
import { decodeCursor, encodeCursor } from './cursor';

describe('tick cursors', () => {
  it('round-trips what the server issued', () => {
    const c = { symbol: 'AAPL', afterSeq: 1234, from: 1000, to: 2000 };
    expect(decodeCursor(encodeCursor(c), 'AAPL')).toEqual(c);
    const open = { symbol: 'AAPL', afterSeq: 5 };
    expect(decodeCursor(encodeCursor(open), 'AAPL')).toEqual(open);
  });

  it('rejects edited, invented and foreign cursors', () => {
    const good = encodeCursor({ symbol: 'AAPL', afterSeq: 1 });
    const [body, sig] = good.split('.');
    const forged = Buffer.from(JSON.stringify(['AAPL', 999, null, null])).toString('base64url');
    for (const bad of ['abc', `${forged}.${sig}`, `${body}.x`, `${body}.${sig}.z`, '']) {
      expect(() => decodeCursor(bad, 'AAPL')).toThrow(InvalidPayloadError);
    }
    expect(() => decodeCursor(good, 'MSFT')).toThrow(/belongs to AAPL/);
  });
});
