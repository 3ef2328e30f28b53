import { ResponseCache } from './response-cache';

describe('ResponseCache', () => {
  it('evicts the least recently used entries past its byte budget', () => {
    const sut = new ResponseCache<string>(10, (s) => s.length);
    sut.set('a', 'aaaa');
    sut.set('b', 'bbbb');
    expect(sut.get('a')).toBe('aaaa'); // a is now the most recent
    sut.set('c', 'cccc');
    expect(sut.get('b')).toBeUndefined();
    expect(sut.get('a')).toBe('aaaa');
    expect(sut.get('c')).toBe('cccc');
  });

  it('never holds an entry larger than the budget', () => {
    const sut = new ResponseCache<string>(3, (s) => s.length);
    sut.set('big', 'xxxx');
    expect(sut.get('big')).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('counts a replaced entry at its new size only', () => {
    const sut = new ResponseCache<string>(10, (s) => s.length);
    sut.set('a', 'aaaa');
    sut.set('a', 'aaaaaaaa');
    sut.set('b', 'bb');
    expect(sut.get('a')).toBe('aaaaaaaa');
    expect(sut.get('b')).toBe('bb');
    sut.set('a', 'x'.repeat(11)); // too large: not stored, the old value stays
    expect(sut.get('a')).toBe('aaaaaaaa');
  });
});
