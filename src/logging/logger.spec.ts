import { Writable } from 'node:stream';
import { PinoLoggerService, createPinoLogger, loggedUrl, redactText, requestId } from './logger';

/** A logger writing JSON lines into an array, as production does to stdout. */
function capture(level: 'log' | 'error' | 'debug' = 'log') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = createPinoLogger({ logLevel: level, production: true }, sink);
  return { logger, lines };
}

describe('logger', () => {
  it('writes Nest messages as JSON lines with their context, at LOG_LEVEL and above', () => {
    const { logger, lines } = capture('log');
    const sut = new PinoLoggerService(logger);
    sut.log('Price feed started', 'MarketDataIngest');
    sut.debug('not shown', 'X');
    sut.error('Store write failed', 'Error: boom\n    at x', 'MarketDataIngest');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        context: 'MarketDataIngest',
        msg: 'Price feed started',
      }),
      expect.objectContaining({
        level: 50,
        context: 'MarketDataIngest',
        msg: 'Store write failed',
        stack: 'Error: boom\n    at x',
      }),
    ]);
  });

  it('never writes a credential: headers, URL passwords, bearer tokens', () => {
    const { logger, lines } = capture();
    logger.info(
      { req: { headers: { authorization: 'Bearer abc', cookie: 's=1', 'x-api-key': 'k' } } },
      'in',
    );
    new PinoLoggerService(logger).warn(
      'Cannot reach postgres://app:hunter2@db:5432/x nor redis://:s3cret@cache:6379 with Bearer eyJabc.def',
      'Store',
    );
    const text = JSON.stringify(lines);
    for (const secret of ['abc"', 's=1', '"k"', 'hunter2', 's3cret', 'eyJabc']) {
      expect(text).not.toContain(secret);
    }
    expect(lines[1].msg).toBe(
      'Cannot reach postgres://app:***@db:5432/x nor redis://:***@cache:6379 with Bearer [redacted]',
    );
  });

  it('redacts credential parameters in free text and in logged URLs only', () => {
    expect(redactText('GET /x?token=abc&y=1')).toBe('GET /x?token=[redacted]&y=1');
    expect(loggedUrl('/api/x?from=1&api_key=zz&Access_Token=t&cursor=c')).toBe(
      '/api/x?from=1&api_key=[redacted]&Access_Token=[redacted]&cursor=c',
    );
    expect(loggedUrl('/api/health')).toBe('/api/health');
  });

  it("keeps a client's request id when it is a short safe token, and makes one otherwise", () => {
    expect(requestId({ headers: { 'x-request-id': 'abc-123_X.y:z' } })).toBe('abc-123_X.y:z');
    for (const bad of ['<script>', 'a'.repeat(65), '', 'a b', 'ü']) {
      const id = requestId({ headers: { 'x-request-id': bad } });
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(requestId({ headers: {} })).toMatch(/^[0-9a-f-]{36}$/);
  });
});
