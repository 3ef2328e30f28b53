// One logger for Nest and Fastify: pino, JSON lines in production and pretty lines in
// development, at LOG_LEVEL, with credentials and URL passwords redacted from every line.
import type { LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { redactUrl, type AppConfig, type LogLevel } from '../config/app-config';

const PINO_LEVELS: Record<LogLevel, LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

const CENSOR = '[redacted]';
/** Header and field paths that carry credentials, wherever a line holds them. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  '*.password',
  '*.token',
  '*.apiKey',
  '*.secret',
];

/** A bearer or basic credential, or a token= style parameter, inside free text. */
const CREDENTIAL_IN_TEXT =
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+|\b((?:access_)?token|api_?key|secret|password)=[^&\s"]+/gi;

/** `text` without URL passwords and credentials, as a log line may show it. */
export function redactText(text: string): string {
  return redactUrl(text).replace(CREDENTIAL_IN_TEXT, (match: string, scheme?: string) =>
    scheme ? `${scheme} ${CENSOR}` : `${match.slice(0, match.indexOf('=') + 1)}${CENSOR}`,
  );
}

export function createPinoLogger(
  config: Pick<AppConfig, 'logLevel' | 'production'>,
  destination?: DestinationStream,
): Logger {
  const options = {
    level: PINO_LEVELS[config.logLevel],
    base: undefined, // no pid and hostname on every line: the node is named where it matters
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    hooks: {
      // Messages are free text: a driver's error may quote a connection string.
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? redactText(a) : a)),
        );
      },
    },
  };
  if (destination) return pino(options, destination);
  if (config.production) return pino(options);
  return pino(
    options,
    pretty({
      sync: true,
      colorize: process.stdout.isTTY,
      // One line per entry, as Nest's own logger prints: [Context] message, a request in full.
      messageFormat:
        '{if context}[{context}] {end}{msg}{if method} {method} {url} {status} {ms} ms ({reqId}){end}',
      ignore: 'context,method,url,status,ms,reqId',
      translateTime: 'SYS:HH:MM:ss.l',
    }),
  );
}

/** Nest's LoggerService over pino: Nest's context (the class name) becomes a field of the line. */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    params: unknown[],
  ): void {
    if (!this.logger.isLevelEnabled(level)) return;
    // Nest passes the context last; error() passes a stack before it.
    const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    const stack =
      level === 'error' && typeof params[0] === 'string' && params.length > 1
        ? params[0]
        : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'string') {
      this.logger[level](fields, message);
    } else {
      this.logger[level]({ ...fields, data: message });
    }
  }
}

/** A request id a client may choose: short, and nothing a log reader could mistake for markup. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const REQUEST_ID_HEADER = 'x-request-id';

/** The client's X-Request-Id when it is a short safe token, otherwise a fresh one. */
export function requestId(req: Pick<IncomingMessage, 'headers'>): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Query parameters whose values are never logged. */
const SECRET_PARAM = /token|key|secret|password|auth|signature|jwt/i;

/** The URL as logged: its path, and its query with credential values replaced. */
export function loggedUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && SECRET_PARAM.test(decodeURIComponentSafe(name))
        ? `${name}=${CENSOR}`
        : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * One line per REST request, when it completes: method, URL (credentials removed), status and
 * time, with the request id pino's child logger adds to every line of the request. Socket.IO
 * frames are not requests: nothing per tick or per frame is logged.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {
    // Nothing: the completion line says everything, once.
  }

  override requestCompleted(
    error: Error | null | undefined,
    req: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      method: req.method,
      url: loggedUrl(req.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request failed');
    else reply.log.info(line, 'request');
  }
}

/** Fastify options for the logger: our instance (none in tests), our request ids and lines. */
export function fastifyLogOptions(logger: Logger | undefined): {
  loggerInstance?: Logger;
  logController: LogController;
  genReqId: (req: IncomingMessage) => string;
} {
  return {
    ...(logger ? { loggerInstance: logger } : {}),
    logController: new RequestLogController(),
    genReqId: requestId,
  };
}

/** Every response carries its request id, the client's own when it sent a safe one. */
export function returnRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, req.id);
    done();
  });
}
