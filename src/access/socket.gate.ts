// Who may open a socket: the Origin of the handshake (403 before Socket.IO sees it), then per-IP
// limits and the credential once per connection, answered as a connect_error with data.code.
// Nothing here runs per message or per tick.
import { Injectable } from '@nestjs/common';
import { type IncomingHttpHeaders, type IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Server, Socket } from 'socket.io';
import { DomainError } from '../common/errors';
import { toErrorBody } from '../common/http-exception.filter';
import { AppConfig } from '../config/app-config';
import { EVENTS, type Notice } from '../contracts';
import { clientIp } from './client-ip.resolver';
import { ConnectionLimits } from './connection.limits';
import { CredentialVerifier, type Principal } from './credentials.verifier';
import { OriginPolicy } from './origin.policy';

/** setTimeout's longest delay; a later expiry is checked again after it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Next = (err?: Error) => void;

/** The error a client's connect_error carries: `err.message` and `err.data.{code,message}`. */
function connectError(err: DomainError): Error {
  const error = new Error(err.message) as Error & { data: unknown };
  error.data = {
    code: err.code,
    message: err.message,
    ...(err.details !== undefined ? { details: err.details } : {}),
  };
  return error;
}

@Injectable()
export class SocketGate {
  constructor(
    private readonly config: AppConfig,
    private readonly verifier: CredentialVerifier,
    private readonly origins: OriginPolicy,
    private readonly limits: ConnectionLimits,
  ) {}

  /** Socket.IO's `cors` option: CORS headers for polling only for the origins allowed. */
  readonly cors = (
    req: { headers: IncomingHttpHeaders },
    callback: (err: Error | null, options: { origin: boolean; maxAge: number }) => void,
  ): void => callback(null, { origin: this.allowsOrigin(req), maxAge: 600 });

  /** Applies the gate to a Socket.IO server (its engine must be attached). */
  attach(server: Server): void {
    server.engine.use(this.checkOrigin);
    server.use((socket, next) => void this.admit(socket, next));
  }

  private allowsOrigin(req: { headers: IncomingHttpHeaders }): boolean {
    return this.origins.allows(req.headers.origin, req.headers.host);
  }

  /**
   * Engine.IO middleware, run for polling requests and WebSocket upgrades before the handshake.
   * Engine.IO itself answers a refused upgrade with 400 whatever the reason, so the 403 is
   * written here, on the raw socket for an upgrade.
   */
  private readonly checkOrigin = (
    req: IncomingMessage,
    res: ServerResponse | { socket: Duplex },
    next: Next,
  ): void => {
    if (this.allowsOrigin(req)) return next();
    const body = JSON.stringify(toErrorBody(this.origins.refusal(String(req.headers.origin))));
    // A WebSocket upgrade has no ServerResponse: Engine.IO hands over a stand-in with the socket.
    if (res instanceof ServerResponse) {
      res.writeHead(403, { 'Content-Type': 'application/json' }).end(body);
    } else {
      res.socket.end(
        'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    // Engine.IO sees a response already sent (or a closed socket) and only cleans up.
    next(new Error('origin not allowed'));
  };

  /** Socket.IO middleware: once per connection. */
  private async admit(socket: Socket, next: Next): Promise<void> {
    const { handshake } = socket;
    const ip = clientIp(
      handshake.address,
      handshake.headers['x-forwarded-for'],
      this.config.trustProxy,
    );
    let release: (() => void) | undefined;
    try {
      // Counted before the credential is checked: failed attempts spend the budget too.
      await this.limits.handshake(ip);
      const principal = this.verifier.required
        ? await this.verifier.verify(tokenOf(handshake.auth))
        : undefined;
      release = await this.limits.open(ip);
      this.releaseOnClose(socket, release);
      if (principal?.expiresAt !== undefined) this.disconnectAtExpiry(socket, principal);
      next();
    } catch (err) {
      release?.();
      next(err instanceof DomainError ? connectError(err) : (err as Error));
    }
  }

  /**
   * Engine.IO's connection closes exactly once whatever happens (client gone during this
   * middleware, transport error, server disconnect), unlike the socket's 'disconnect', which a
   * socket that never finished connecting does not emit.
   */
  private releaseOnClose(socket: Socket, release: () => void): void {
    if (socket.conn.readyState === 'closed') return release();
    socket.conn.once('close', release);
  }

  /**
   * A JWT that expires while its socket is open ends the connection at its exp (plus the clock
   * tolerance), with a notice: the client reconnects with a fresh token.
   */
  private disconnectAtExpiry(socket: Socket, principal: Principal): void {
    const check = (): void => {
      const left = (principal.expiresAt as number) - Date.now();
      if (left > 0) {
        timer = setTimeout(check, Math.min(left, MAX_TIMER_MS));
        return;
      }
      const notice: Notice = {
        type: 'disconnecting',
        reason: 'credential_expired',
        message: 'Disconnecting: the credential has expired; reconnect with a new token',
      };
      socket.emit(EVENTS.notice, notice);
      socket.disconnect(true);
    };
    let timer: NodeJS.Timeout | undefined;
    check();
    socket.conn.once('close', () => clearTimeout(timer));
  }
}

function tokenOf(auth: unknown): string | undefined {
  const token = (auth as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}
