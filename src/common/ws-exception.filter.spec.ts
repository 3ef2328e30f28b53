import type { ArgumentsHost } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { jest } from '@jest/globals';
import {
  InvalidPayloadError,
  LimitExceededError,
  RateLimitedError,
  UnknownSymbolError,
} from './errors';
import { WsExceptionFilter, toAckError } from './ws-exception.filter';

/** A gateway handler's arguments as Nest passes them: socket, payload, ack, pattern. */
function host(...args: unknown[]): ArgumentsHost {
  return { getArgs: () => args } as unknown as ArgumentsHost;
}

describe('toAckError', () => {
  it.each([
    [new InvalidPayloadError(['a', 'b']), 'INVALID_PAYLOAD', 'a; b', { problems: ['a', 'b'] }],
    [
      new UnknownSymbolError(['NOPE']),
      'UNKNOWN_SYMBOL',
      'Unknown symbol: NOPE',
      { symbols: ['NOPE'] },
    ],
    [new LimitExceededError('too many', { limit: 5 }), 'LIMIT_EXCEEDED', 'too many', { limit: 5 }],
  ])('maps %p to its code, message and details', (err, code, message, details) => {
    expect(toAckError(err)).toEqual({ ok: false, error: { code, message, details } });
  });

  it('leaves details out when the error has none', () => {
    expect(toAckError(new RateLimitedError('slow down'))).toStrictEqual({
      ok: false,
      error: { code: 'RATE_LIMITED', message: 'slow down' },
    });
  });

  it('answers anything else as INTERNAL, without its message', () => {
    expect(toAckError(new Error('secret'))).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'Internal error' },
    });
  });
});

describe('WsExceptionFilter', () => {
  const sut = new WsExceptionFilter();
  const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  afterEach(() => logged.mockClear());
  afterAll(() => logged.mockRestore());

  it('answers the acknowledgement with the mapped error, and logs nothing for a domain error', () => {
    const ack = jest.fn();
    sut.catch(new RateLimitedError('slow down'), host({}, { symbols: [] }, ack, 'subscribe'));
    expect(ack).toHaveBeenCalledWith({
      ok: false,
      error: { code: 'RATE_LIMITED', message: 'slow down' },
    });
    expect(logged).not.toHaveBeenCalled();
  });

  it('logs an unexpected error and answers INTERNAL', () => {
    const ack = jest.fn();
    const bug = new TypeError('bug');
    sut.catch(bug, host({}, ack, 'subscriptions'));
    expect(ack).toHaveBeenCalledWith({
      ok: false,
      error: { code: 'INTERNAL', message: 'Internal error' },
    });
    expect(logged).toHaveBeenCalledWith(bug);
  });

  it('does nothing more when the client asked for no acknowledgement', () => {
    expect(() =>
      sut.catch(new RateLimitedError('x'), host({}, { symbols: [] }, undefined, 'subscribe')),
    ).not.toThrow();
  });
});
