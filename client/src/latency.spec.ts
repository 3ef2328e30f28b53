import { LatencyWindow } from './latency';

describe('LatencyWindow', () => {
  it('reports the median and 95th percentile of the most recent samples', () => {
    const sut = new LatencyWindow();
    expect(sut.stats().p50).toBeNaN();
    for (let i = 1; i <= 100; i++) sut.record(i);
    expect(sut.stats()).toEqual({ p50: 50, p95: 95, n: 100 });
    for (let i = 0; i < 1000; i++) sut.record(7);
    expect(sut.stats()).toMatchObject({ p50: 7, p95: 7, n: 512 });
  });

  it('starts over after a reset', () => {
    const sut = new LatencyWindow(4);
    sut.record(10);
    sut.reset();
    expect(sut.stats()).toEqual({ p50: NaN, p95: NaN, n: 0 });
    sut.record(3);
    expect(sut.stats()).toEqual({ p50: 3, p95: 3, n: 1 });
  });
});
