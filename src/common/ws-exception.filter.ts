// Maps every error reaching a socket handler to its acknowledgement {ok: false, error}.
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { AckError } from '../contracts';
import { DomainError, isStoreUnavailable } from './errors';

/** A domain error's code, message and details; anything else is INTERNAL (and worth a log line). */
export function toAckError(exception: unknown): AckError {
  if (exception instanceof DomainError) {
    return {
      ok: false,
      error: {
        code: exception.code,
        message: exception.message,
        ...(exception.details !== undefined ? { details: exception.details } : {}),
      },
    };
  }
  if (isStoreUnavailable(exception)) {
    const message = 'The history store cannot be reached, so no resume now; retry shortly';
    return { ok: false, error: { code: 'STORE_UNAVAILABLE', message } };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'Internal error' } };
}

/**
 * The socket counterpart of HttpExceptionFilter. Nest applies no global (APP_FILTER) filter to
 * gateways, so a gateway names this one with @UseFilters. Its handler's error leaves the
 * acknowledgement unanswered; this filter answers it, when the client asked for one.
 */
@Catch()
@Injectable()
export class WsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WebSocket');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (!(exception instanceof DomainError)) this.logger.error(exception);
    // A handler's arguments are (socket, payload, ack?, pattern): the ack is the one function.
    const ack = host.getArgs().find((arg) => typeof arg === 'function') as
      ((answer: AckError) => void) | undefined;
    ack?.(toAckError(exception));
  }
}
