import { KEY_STORAGE_KEY, KeyStore, type KeyStorage } from './key-store';

function memory(initial: Record<string, string> = {}): KeyStorage & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe('KeyStore', () => {
  it('keeps a key under its own name, reads it back, and forgets it', () => {
    const storage = memory();
    const sut = new KeyStore(storage);
    expect(sut.get()).toBeNull();
    sut.set('  test-key-0123456789abcdef ');
    expect(sut.get()).toBe('test-key-0123456789abcdef');
    expect(storage.data.get(KEY_STORAGE_KEY)).toBe('test-key-0123456789abcdef');
    // A new page in the same tab finds it.
    expect(new KeyStore(storage).get()).toBe('test-key-0123456789abcdef');
    sut.forget();
    expect(sut.get()).toBeNull();
    expect(storage.data.has(KEY_STORAGE_KEY)).toBe(false);
    expect(new KeyStore(storage).get()).toBeNull();
  });

  it('treats a blank key as none', () => {
    const storage = memory({ [KEY_STORAGE_KEY]: '   ' });
    const sut = new KeyStore(storage);
    expect(sut.get()).toBeNull();
    sut.set('abc');
    sut.set('  ');
    expect(sut.get()).toBeNull();
    expect(storage.data.has(KEY_STORAGE_KEY)).toBe(false);
  });

  it('still holds the key for this page when storage refuses or is missing', () => {
    const refusing: KeyStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    for (const storage of [refusing, null]) {
      const sut = new KeyStore(storage);
      expect(sut.get()).toBeNull();
      sut.set('k1');
      expect(sut.get()).toBe('k1');
      sut.forget();
      expect(sut.get()).toBeNull();
    }
  });
});
