import { ReplayBudget } from './replay-budget';

describe('ReplayBudget', () => {
  it('grants up to the per-minute budget at once, then refuses what does not fit without spending it', () => {
    const sut = new ReplayBudget(10_000, 0);
    expect(sut.take(6_000, 0)).toBe(true);
    expect(sut.take(5_000, 0)).toBe(false);
    expect(sut.remaining(0)).toBe(4_000);
    expect(sut.take(4_000, 0)).toBe(true);
    expect(sut.take(1, 0)).toBe(false);
  });

  it('refills at the per-minute rate, never past the budget', () => {
    const sut = new ReplayBudget(6_000, 0);
    expect(sut.take(6_000, 0)).toBe(true);
    expect(sut.remaining(30_000)).toBe(3_000);
    expect(sut.take(3_001, 30_000)).toBe(false);
    expect(sut.take(3_000, 30_000)).toBe(true);
    expect(sut.remaining(10 * 60_000)).toBe(6_000);
  });

  it('is not drained by a clock that steps back', () => {
    const sut = new ReplayBudget(6_000, 60_000);
    expect(sut.take(1_000, 60_000)).toBe(true);
    expect(sut.remaining(0)).toBe(5_000);
    expect(sut.remaining(60_000)).toBe(5_000);
  });

  it('with a budget of 0 replays nothing but an empty gap', () => {
    const sut = new ReplayBudget(0, 0);
    expect(sut.take(1, 60_000)).toBe(false);
    expect(sut.take(0, 60_000)).toBe(true);
  });
});
