import { LoopLagSampler } from './event-loop.watch';

describe('LoopLagSampler', () => {
  it('passes while its timer fires on time, or a little late', () => {
    const sut = new LoopLagSampler(0, 250, 1_000, 5_000);
    for (let t = 250; t <= 10_000; t += 250) sut.sample(t + (t % 1000 === 0 ? 400 : 0));
    expect(sut.reason(10_500)).toBeUndefined();
  });

  it('fails for a while after a stall past the threshold, naming it', () => {
    const sut = new LoopLagSampler(0, 250, 1_000, 5_000);
    sut.sample(250);
    sut.sample(2_000); // fired 1500 ms late
    expect(sut.lastLag).toBe(1_500);
    expect(sut.reason(2_010)).toBe('event loop stalled for 1500 ms (over 1000 ms) 10 ms ago');
    for (let t = 2_250; t <= 7_000; t += 250) sut.sample(t);
    expect(sut.reason(7_000)).toMatch(/stalled for 1500 ms/);
    sut.sample(7_250);
    expect(sut.reason(7_250)).toBeUndefined();
  });

  it('fails during a stall its timer has not yet measured', () => {
    const sut = new LoopLagSampler(0, 250, 1_000, 5_000);
    sut.sample(250);
    expect(sut.reason(1_400)).toBeUndefined();
    expect(sut.reason(1_600)).toBe('event loop stalled: 1100 ms so far');
  });
});
