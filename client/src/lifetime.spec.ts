import { Lifetime } from './lifetime';

describe('Lifetime', () => {
  it('undoes in reverse order and drops timeouts that have not fired', async () => {
    const sut = new Lifetime();
    const log: string[] = [];
    sut.add(() => log.push('first'));
    sut.add(() => log.push('second'));
    sut.later(() => log.push('late'), 0);
    sut.destroy();
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['second', 'first']);
    expect(sut.destroyed).toBe(true);
  });

  it('runs a timeout while alive', async () => {
    const sut = new Lifetime();
    let ran = false;
    sut.later(() => (ran = true), 0);
    await new Promise((r) => setTimeout(r, 5));
    expect(ran).toBe(true);
    sut.destroy();
  });
});
