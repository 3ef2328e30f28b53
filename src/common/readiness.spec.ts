import { Readiness, StoreWriteHealth, maxWriteBacklog } from './readiness';

describe('Readiness', () => {
  it('is ready only once every hold is released, and says why it is not', () => {
    const sut = new Readiness();
    expect(sut.status()).toEqual({ ready: true, waiting: [] });
    sut.hold('stream', 'catching up with the tick stream');
    sut.hold('drain', 'draining');
    sut.hold('stream', 'catching up: 12 ticks behind');
    expect(sut.status()).toEqual({
      ready: false,
      waiting: ['catching up: 12 ticks behind', 'draining'],
    });
    sut.release('stream');
    sut.release('drain');
    expect(sut.status().ready).toBe(true);
  });

  it('asks its checks at each status, until a check is removed', () => {
    const sut = new Readiness();
    let lag: string | undefined = 'event loop stalled';
    const remove = sut.check('loop', () => lag);
    sut.hold('drain', 'draining');
    expect(sut.status()).toEqual({ ready: false, waiting: ['draining', 'event loop stalled'] });
    sut.release('drain');
    lag = undefined;
    expect(sut.status()).toEqual({ ready: true, waiting: [] });
    lag = 'event loop stalled';
    remove();
    expect(sut.status().ready).toBe(true);
  });

  it('keeps a newer check of the same name when an older one is removed', () => {
    const sut = new Readiness();
    const removeOld = sut.check('x', () => 'old');
    sut.check('x', () => 'new');
    removeOld();
    expect(sut.status().waiting).toEqual(['new']);
  });
});

describe('StoreWriteHealth', () => {
  it('is not ready from a failed write until a write succeeds', () => {
    const readiness = new Readiness();
    const sut = new StoreWriteHealth(readiness, 100);
    sut.failed(new Error('disk I/O error'));
    sut.failed(new Error('database is locked'));
    expect(readiness.status()).toEqual({
      ready: false,
      waiting: ['the store refuses writes: database is locked'],
    });
    sut.succeeded();
    expect(readiness.status().ready).toBe(true);
  });

  it('is not ready while more ticks than the bound wait to be written', () => {
    const readiness = new Readiness();
    const sut = new StoreWriteHealth(readiness, 100);
    let backlog = 100;
    const remove = sut.watchBacklog(() => backlog);
    expect(readiness.status().ready).toBe(true);
    backlog = 101;
    expect(readiness.status()).toEqual({
      ready: false,
      waiting: ['store writes behind: 101 ticks wait to be written (more than 100)'],
    });
    remove();
    expect(readiness.status().ready).toBe(true);
  });

  it('bounds the backlog at ten seconds of the feed, and never below one busy flush', () => {
    expect(maxWriteBacklog(400)).toBe(50_000);
    expect(maxWriteBacklog(100_000)).toBe(1_000_000);
  });
});
