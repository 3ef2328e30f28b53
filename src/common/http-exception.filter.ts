// Maps every error reaching an HTTP handler to {statusCode, error, message[, code, details]}.
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Injectable,
  Logger,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import type { ApiErrorBody, ErrorCode } from '../contracts';
import { DomainError, isStoreUnavailable } from './errors';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'INVALID_PAYLOAD',
  404: 'NOT_FOUND',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  429: 'RATE_LIMITED',
  500: 'INTERNAL',
};

/**
 * `error` of an HttpException: the reason phrase for the statuses the API documents, otherwise
 * the exception's class name (Fastify's 413 arrives as a bare HttpException), as it always was.
 */
function httpExceptionError(status: number, exception: HttpException): string {
  return (status in CODE_BY_STATUS && STATUS_CODES[status]) || exception.name;
}

export function toErrorBody(exception: unknown): ApiErrorBody {
  if (exception instanceof DomainError) {
    return {
      statusCode: exception.status,
      error: STATUS_CODES[exception.status] ?? 'Error',
      message: exception.message,
      code: exception.code,
      ...(exception.details !== undefined ? { details: exception.details } : {}),
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const res = exception.getResponse();
    let message = exception.message;
    if (typeof res === 'object' && res !== null && 'message' in res) {
      const m = (res as { message: unknown }).message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
    }
    // A body the JSON parser could not read is the client's fault, not ours.
    const code = CODE_BY_STATUS[status] ?? (status < 500 ? 'INVALID_PAYLOAD' : 'INTERNAL');
    return { statusCode: status, error: httpExceptionError(status, exception), message, code };
  }
  if (isStoreUnavailable(exception)) {
    return {
      statusCode: 503,
      error: STATUS_CODES[503] as string,
      message: 'The history store cannot be reached; live streaming continues. Retry shortly.',
      code: 'STORE_UNAVAILABLE',
    };
  }
  return {
    statusCode: 500,
    error: STATUS_CODES[500] as string,
    message: 'Internal server error',
    code: 'INTERNAL',
  };
}

@Catch()
@Injectable()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // HTTP only: Nest applies no global filter to gateways, which name WsExceptionFilter.
    if (host.getType() !== 'http') return;
    const body = toErrorBody(exception);
    if (body.statusCode >= 500)
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    const http = this.adapterHost.httpAdapter;
    const res: unknown = host.switchToHttp().getResponse();
    if (http.isHeadersSent(res)) return;
    http.reply(res, body, body.statusCode);
  }
}
