import type { ExecutionContext } from '@nestjs/common';
import { ManualClock } from '../common/clock';
import { RateLimitedError } from '../common/errors';
import type { AppConfig } from '../config/app-config';
import type { Notice } from '../contracts';
import { ControlRateGuard } from './control-rate.guard';
import type { StreamingSocket } from './streaming.socket';

function fakeSocket() {
  const notices: Notice[] = [];
  const socket = {
    data: {},
    disconnected: false,
    emit(_event: string, notice: Notice) {
      notices.push(notice);
    },
    disconnect() {
      this.disconnected = true;
    },
  };
  return { socket, notices, typed: socket as unknown as StreamingSocket };
}

const context = (socket: StreamingSocket) =>
  ({ switchToWs: () => ({ getClient: () => socket }) }) as unknown as ExecutionContext;

describe('ControlRateGuard', () => {
  const clock = new ManualClock(1_000);
  const sut = new ControlRateGuard({ controlRate: 2 } as AppConfig, clock);

  it('lets a burst up to the rate through, then answers RATE_LIMITED', () => {
    const f = fakeSocket();
    expect(sut.canActivate(context(f.typed))).toBe(true);
    expect(sut.canActivate(context(f.typed))).toBe(true);
    expect(() => sut.canActivate(context(f.typed))).toThrow(RateLimitedError);
    expect(f.socket.disconnected).toBe(false);
  });

  it('keeps one budget per socket', () => {
    const a = fakeSocket();
    const b = fakeSocket();
    sut.admit(a.typed);
    sut.admit(a.typed);
    expect(() => sut.admit(a.typed)).toThrow(RateLimitedError);
    expect(() => sut.admit(b.typed)).not.toThrow();
  });

  it('tells a flooding socket why, then disconnects it', () => {
    const f = fakeSocket();
    sut.admit(f.typed);
    sut.admit(f.typed);
    // Five times the rate in rejections within a second is still a burst.
    for (let i = 0; i < 10; i++) expect(() => sut.admit(f.typed)).toThrow(RateLimitedError);
    expect(f.socket.disconnected).toBe(false);
    expect(() => sut.admit(f.typed)).toThrow(RateLimitedError);
    expect(f.socket.disconnected).toBe(true);
    expect(f.notices).toEqual([
      {
        type: 'disconnecting',
        reason: 'flood',
        message: 'Disconnecting: far more than 2 control messages per second',
      },
    ]);
  });
});
