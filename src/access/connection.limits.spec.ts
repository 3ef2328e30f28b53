import { ManualClock } from '../common/clock';
import { LimitExceededError } from '../common/errors';
import {
  ConnectionLimits,
  HANDSHAKE_WINDOW_MS,
  MemoryConnectionCounters,
} from './connection.limits';

async function rejection(p: Promise<unknown>): Promise<LimitExceededError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LimitExceededError);
  return err as LimitExceededError;
}

describe('ConnectionLimits over MemoryConnectionCounters', () => {
  let clock: ManualClock;
  let counters: MemoryConnectionCounters;
  const limits = (connectionsPerIp: number, handshakesPerIp: number) =>
    new ConnectionLimits(counters, { connectionsPerIp, handshakesPerIp });
  beforeEach(() => {
    clock = new ManualClock(1_000_000);
    counters = new MemoryConnectionCounters(() => clock.now(), 1000);
  });

  it('refuses the handshake past the limit, naming it, until the window has passed', async () => {
    const sut = limits(0, 3);
    for (let i = 0; i < 3; i++) await sut.handshake('1.1.1.1');
    const err = await rejection(sut.handshake('1.1.1.1'));
    expect(err.message).toContain('WS_HANDSHAKES_PER_IP is 3');
    await sut.handshake('2.2.2.2'); // another IP has its own budget
    clock.advance(HANDSHAKE_WINDOW_MS - 1);
    await rejection(sut.handshake('1.1.1.1'));
    clock.advance(1);
    await sut.handshake('1.1.1.1');
  });

  it('refuses an open connection past the limit and does not count the refused one', async () => {
    const sut = limits(2, 0);
    const first = await sut.open('1.1.1.1');
    await sut.open('1.1.1.1');
    const err = await rejection(sut.open('1.1.1.1'));
    expect(err.message).toContain('WS_CONNECTIONS_PER_IP is 2');
    await rejection(sut.open('1.1.1.1'));
    first();
    await sut.open('1.1.1.1');
  });

  it('a slot is given back once however often release is called', async () => {
    const sut = limits(2, 0);
    const first = await sut.open('1.1.1.1');
    await sut.open('1.1.1.1');
    first();
    first();
    first();
    await sut.open('1.1.1.1');
    await rejection(sut.open('1.1.1.1'));
  });

  it('0 turns a limit off', async () => {
    const sut = limits(0, 0);
    for (let i = 0; i < 100; i++) {
      await sut.handshake('1.1.1.1');
      await sut.open('1.1.1.1');
    }
    expect(counters.size).toBe(0);
  });

  it('forgets idle IPs once their window has passed, keeps those with open connections', async () => {
    const sut = limits(5, 5);
    for (let i = 0; i < 50; i++) await sut.handshake(`10.0.0.${i}`);
    const held = await sut.open('10.0.0.1');
    expect(counters.size).toBe(50);
    clock.advance(HANDSHAKE_WINDOW_MS);
    await sut.handshake('10.0.1.1');
    expect(counters.size).toBe(2);
    held();
    expect(counters.size).toBe(1);
  });

  it('stays bounded under a flood of distinct IPs within one window', async () => {
    const sut = limits(5, 5);
    for (let i = 0; i < 5000; i++) await sut.handshake(`fd00::${i.toString(16)}`);
    expect(counters.size).toBeLessThanOrEqual(1000);
  });
});
