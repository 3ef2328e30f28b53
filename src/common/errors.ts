// Typed domain errors. Each transport has one mapper from these to its documented error shape.
import type { ErrorCode } from '../contracts';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly status: number;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnknownSymbolError extends DomainError {
  readonly code = 'UNKNOWN_SYMBOL';
  readonly status = 404;
  constructor(readonly symbols: string[]) {
    super(
      symbols.length === 1
        ? `Unknown symbol: ${symbols[0]}`
        : `Unknown symbols: ${symbols.join(', ')}`,
      { symbols },
    );
  }
}

/** One or more bad request parameters; `problems` names each one. */
export class InvalidPayloadError extends DomainError {
  readonly code = 'INVALID_PAYLOAD';
  readonly status = 400;
  constructor(readonly problems: string[]) {
    super(problems.join('; '), { problems });
  }
}

export class LimitExceededError extends DomainError {
  readonly code = 'LIMIT_EXCEEDED';
  readonly status = 400;
}

export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  readonly status = 429;
}

/** A credential is required and was missing, malformed, unknown or expired. */
export class UnauthorizedError extends DomainError {
  readonly code = 'UNAUTHORIZED';
  readonly status = 401;
}

/** The request is understood but not allowed from where it comes (an origin not allowed). */
export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
}

/** Error codes of a store (or its connection) that is unreachable, not of a bad request. */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
]);

/**
 * Whether an error only says the store could not be reached (PostgreSQL down, restarting, or
 * the connection cut, or a statement cancelled by STATEMENT_TIMEOUT_MS): SQLSTATE class 08,
 * 57014 and 57P01-57P03, a socket errno, or pg's own message.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || /^57(014|P0[123])$/.test(code) || UNAVAILABLE_ERRNOS.has(code)) {
      return true;
    }
  }
  return /^Connection terminated|timeout exceeded when trying to connect/.test(error.message);
}
