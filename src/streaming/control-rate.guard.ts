// Control messages per socket per second: over the rate, RATE_LIMITED; far over it (a flood,
// not a burst), the socket is told why and disconnected.
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { EVENTS } from '../contracts';
import { ControlRateLimit } from './control';
import type { StreamingSocket } from './streaming.socket';

@Injectable()
export class ControlRateGuard implements CanActivate {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    this.admit(context.switchToWs().getClient<StreamingSocket>());
    return true;
  }

  /** Spends one of the socket's control messages; throws RateLimitedError when none is left. */
  admit(socket: StreamingSocket): void {
    const now = this.clock.now();
    // The budget starts full, so creating it on the first message equals creating it on connection.
    const limit = (socket.data.controlRate ??= new ControlRateLimit(this.config.controlRate, now));
    try {
      limit.take(now);
    } catch (err) {
      if (limit.flooding()) {
        socket.emit(EVENTS.notice, {
          type: 'disconnecting',
          reason: 'flood',
          message: `Disconnecting: far more than ${this.config.controlRate} control messages per second`,
        });
        socket.disconnect(true);
      }
      throw err;
    }
  }
}
