import { FrameScheduler, RateLimiter } from './schedule';

describe('FrameScheduler', () => {
  it('renders once per frame however many updates arrive', () => {
    const frames: Array<(t: number) => void> = [];
    const renders: number[] = [];
    const sut = new FrameScheduler(
      (t) => renders.push(t),
      (cb) => frames.push(cb),
    );
    for (let i = 0; i < 2000; i++) sut.request();
    expect(frames).toHaveLength(1);
    frames.shift()!(16);
    expect(renders).toEqual([16]);
    sut.request();
    sut.request();
    expect(frames).toHaveLength(1);
    sut.stop();
    frames.shift()!(32);
    sut.request();
    expect(renders).toEqual([16]);
    expect(frames).toHaveLength(0);
  });
});

describe('RateLimiter', () => {
  function harness(intervalMs = 1000) {
    let now = 0;
    const said: Array<[number, string]> = [];
    let timer: { at: number; cb: () => void } | null = null;
    const sut = new RateLimiter(
      (text) => said.push([now, text]),
      intervalMs,
      () => now,
      (cb, ms) => (timer = { at: now + ms, cb }),
      () => (timer = null),
    );
    const advance = (ms: number) => {
      now += ms;
      if (timer && timer.at <= now) {
        const t = timer;
        timer = null;
        t.cb();
      }
    };
    return { sut, said, advance };
  }

  it('says the first message at once and only the latest of a burst after the interval', () => {
    const { sut, said, advance } = harness();
    sut.say('one');
    sut.say('two');
    sut.say('three');
    expect(said).toEqual([[0, 'one']]);
    advance(999);
    expect(said).toHaveLength(1);
    advance(1);
    expect(said).toEqual([
      [0, 'one'],
      [1000, 'three'],
    ]);
    advance(5000);
    sut.say('four');
    expect(said[2]).toEqual([6000, 'four']);
  });

  it('drops what is queued when stopped', () => {
    const { sut, said, advance } = harness();
    sut.say('a');
    sut.say('b');
    sut.stop();
    advance(2000);
    expect(said.map(([, t]) => t)).toEqual(['a']);
  });
});
