import {
  BadRequestException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
} from '@nestjs/common';
import {
  InvalidPayloadError,
  LimitExceededError,
  RateLimitedError,
  UnknownSymbolError,
} from './errors';
import { toErrorBody } from './http-exception.filter';

describe('toErrorBody', () => {
  it('names domain errors by the reason phrase of their status', () => {
    expect(toErrorBody(new UnknownSymbolError(['NOPE']))).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Unknown symbol: NOPE',
      code: 'UNKNOWN_SYMBOL',
      details: { symbols: ['NOPE'] },
    });
    expect(toErrorBody(new InvalidPayloadError(['limit must be an integer'])).error).toBe(
      'Bad Request',
    );
    expect(toErrorBody(new LimitExceededError('too many symbols')).error).toBe('Bad Request');
    expect(toErrorBody(new RateLimitedError('slow down')).error).toBe('Too Many Requests');
  });

  it('names the HTTP exceptions Nest and Fastify raise exactly as before', () => {
    const cases: Array<[HttpException, number, string, string]> = [
      [new NotFoundException('Cannot GET /api/nope'), 404, 'Not Found', 'NOT_FOUND'],
      [new BadRequestException('Body is not valid JSON'), 400, 'Bad Request', 'INVALID_PAYLOAD'],
      [new HttpException('Too many', 429), 429, 'Too Many Requests', 'RATE_LIMITED'],
      [new InternalServerErrorException(), 500, 'Internal Server Error', 'INTERNAL'],
      // Fastify's body limit reaches the filter as a bare HttpException: its class name stays.
      [
        new HttpException('Request body is too large', 413),
        413,
        'HttpException',
        'INVALID_PAYLOAD',
      ],
      [new HttpException('Not implemented', 501), 501, 'HttpException', 'INTERNAL'],
    ];
    for (const [exception, statusCode, error, code] of cases) {
      expect(toErrorBody(exception)).toMatchObject({ statusCode, error, code });
    }
  });

  it('answers anything else as a 500 without its details', () => {
    expect(toErrorBody(new Error('boom'))).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
      code: 'INTERNAL',
    });
  });

  it.each([
    [
      'PostgreSQL shutting down (57P01)',
      Object.assign(new Error('terminating connection'), { code: '57P01' }),
    ],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    [
      'a connection exception (08006)',
      Object.assign(new Error('connection failure'), { code: '08006' }),
    ],
    ['a cut connection', new Error('Connection terminated unexpectedly')],
    [
      'a statement cancelled by STATEMENT_TIMEOUT_MS (57014)',
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
    ],
  ])('answers %s as 503 STORE_UNAVAILABLE, not a 500', (_what, error) => {
    expect(toErrorBody(error)).toMatchObject({ statusCode: 503, code: 'STORE_UNAVAILABLE' });
  });

  it('keeps a query error that is not about reaching the store a 500', () => {
    const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
    expect(toErrorBody(syntax)).toMatchObject({ statusCode: 500, code: 'INTERNAL' });
  });
});
