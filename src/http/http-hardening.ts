// The HTTP server's own defences: timeouts that cut off slow or silent clients, security headers
// on every response, and a shutdown that ends even when something it waits for hangs.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from '@fastify/helmet';
import type { FastifyError, FastifyReply } from 'fastify';
import { STATUS_CODES, type ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiErrorBody } from '../contracts';
import type { AppConfig } from '../config/app-config';

/** A client that has not sent its headers in this long is cut off, whatever REQUEST_TIMEOUT_MS. */
const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node checks the header and request timeouts: they are enforced to this precision. */
const TIMEOUT_CHECK_MS = 500;
/** Idle keep-alive connections close after this; above the usual balancer's 60 s idle timeout. */
const KEEP_ALIVE_MS = 72_000;

/**
 * Fastify and node:http options from REQUEST_TIMEOUT_MS: a request's headers and body must
 * arrive within it (headers within 10 s at most), so a client trickling bytes (slowloris) is
 * answered 408 and disconnected. Once a request is read its handler may take its time; an
 * upgraded WebSocket is not a request any more and is not cut.
 */
export function httpTimeouts(config: Pick<AppConfig, 'requestTimeoutMs'>): {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  const requestTimeout = config.requestTimeoutMs;
  const headersTimeout = Math.min(requestTimeout, HEADERS_TIMEOUT_MS);
  return {
    requestTimeout,
    keepAliveTimeout: KEEP_ALIVE_MS,
    http: {
      requestTimeout,
      headersTimeout,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, headersTimeout / 2),
      keepAliveTimeout: KEEP_ALIVE_MS,
      // Node would answer a request without Host with an empty 400 of its own; the API answers it.
      requireHostHeader: false,
    },
  };
}

function errorBody(status: number, message: string): ApiErrorBody {
  return {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Bad Request',
    message,
    code: 'INVALID_PAYLOAD',
  };
}

/**
 * Requests refused before Nest sees them get the API's error shape too: Fastify's router
 * (a bad percent-escape, an over-long path parameter) and Node's parser (a malformed request
 * line, headers past the size limit), instead of Fastify's own codes or an empty body.
 */
export const httpErrorHandling = {
  frameworkErrors(error: FastifyError, _request: unknown, reply: FastifyReply): void {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
    void reply.code(status).send(errorBody(status, error.message));
  },
  clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
    if (!socket.writable) return;
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    const message =
      status === 431
        ? 'Request headers are too large'
        : status === 408
          ? 'The request did not arrive within REQUEST_TIMEOUT_MS'
          : 'Malformed HTTP request';
    const body = JSON.stringify(errorBody(status, message));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  },
};

/**
 * The Content-Security-Policy of every page: the dashboard and Swagger UI load only their own
 * scripts. Styles may be inline: Swagger UI's page carries <style> blocks and lightweight-charts
 * sets style attributes; images may be data: URIs (the favicon, Swagger UI's icons). connect-src
 * 'self' covers the dashboard's REST calls and its same-origin WebSocket.
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // Not upgrade-insecure-requests: on plain HTTP away from localhost it would break every asset.
  upgradeInsecureRequests: null,
};

/**
 * Security headers on every response (API, dashboard, docs): the CSP above, nosniff,
 * X-Frame-Options DENY, Referrer-Policy no-referrer. No HSTS: the server speaks plain HTTP, and
 * HSTS belongs on the TLS terminator in front of it.
 */
export async function registerSecurityHeaders(app: NestFastifyApplication): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
    // Cross-origin dashboards (ALLOWED_ORIGINS) read the API through CORS, which CORP leaves alone.
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
}

/**
 * After SIGTERM or SIGINT, exits with status 1 once `ms` have passed, whatever the graceful
 * close still waits for (a PostgreSQL that does not answer, a drain that hangs). The timer does
 * not keep the process alive: a close that finishes first exits normally.
 */
export function armHardExit(ms: number, log: (message: string) => void): void {
  const arm = (signal: string) => {
    setTimeout(() => {
      log(`Shutdown took longer than SHUTDOWN_TIMEOUT_MS (${ms} ms) after ${signal}: exiting now`);
      process.exit(1);
    }, ms).unref();
  };
  process.once('SIGTERM', arm);
  process.once('SIGINT', arm);
}
