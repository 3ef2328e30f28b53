import { Readiness } from './readiness';

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
});
