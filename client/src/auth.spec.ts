import { AuthGate } from './auth';
import { KeyStore, type KeyStorage } from './key-store';

function gate(stored: string | null = null) {
  const data = new Map<string, string>();
  const storage: KeyStorage = {
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
  const keys = new KeyStore(storage);
  if (stored) keys.set(stored);
  const sut = new AuthGate(keys);
  let changes = 0;
  let newKeys = 0;
  sut.onChange(() => changes++);
  sut.onKey(() => newKeys++);
  return { sut, keys, changes: () => changes, newKeys: () => newKeys };
}

describe('AuthGate', () => {
  it('never prompts while the server answers (a public server)', () => {
    const { sut, changes } = gate();
    sut.accepted(null);
    sut.accepted(null);
    expect(sut.view).toEqual({ state: 'open', dismissed: false, hasKey: false });
    expect(sut.prompting).toBe(false);
    expect(changes()).toBe(0);
  });

  it('asks when a request without a key is refused, checks an entered key, and settles when it is answered', () => {
    const { sut, keys, newKeys } = gate();
    sut.rejected(null);
    expect(sut.view).toEqual({ state: 'asking', dismissed: false, hasKey: false });
    expect(sut.prompting).toBe(true);

    expect(sut.submit('   ')).toBe(false);
    expect(newKeys()).toBe(0);
    expect(sut.submit(' good-key ')).toBe(true);
    expect(sut.token()).toBe('good-key');
    expect(keys.get()).toBe('good-key');
    expect(sut.view.state).toBe('checking');
    expect(newKeys()).toBe(1);

    sut.accepted('good-key');
    expect(sut.view).toEqual({ state: 'open', dismissed: false, hasKey: true });
    expect(sut.prompting).toBe(false);
  });

  it('says a refused key was not accepted, forgets it, and keeps saying so', () => {
    const { sut } = gate();
    sut.rejected(null);
    sut.submit('wrong');
    sut.rejected('wrong');
    expect(sut.view).toEqual({ state: 'refused', dismissed: false, hasKey: false });
    expect(sut.token()).toBeNull();
    // Later refusals of keyless requests do not turn the message back into a plain question.
    sut.rejected(null);
    expect(sut.view.state).toBe('refused');
  });

  it('refuses a key kept from earlier in the session that the server no longer takes', () => {
    const { sut } = gate('revoked');
    expect(sut.view).toEqual({ state: 'open', dismissed: false, hasKey: true });
    sut.rejected('revoked');
    expect(sut.view).toEqual({ state: 'refused', dismissed: false, hasKey: false });
  });

  it('ignores a verdict on a key that is no longer the one held', () => {
    const { sut } = gate();
    sut.rejected(null);
    sut.submit('first');
    sut.submit('second');
    sut.rejected('first'); // an answer to a request still in flight with the first key
    expect(sut.view.state).toBe('checking');
    expect(sut.token()).toBe('second');
    sut.accepted('first');
    expect(sut.view.state).toBe('checking');
    sut.accepted('second');
    expect(sut.view.state).toBe('open');
  });

  it('can be closed without a key and opened again; a refusal of an entered key reopens it', () => {
    const { sut } = gate();
    sut.rejected(null);
    sut.dismiss();
    expect(sut.view).toEqual({ state: 'asking', dismissed: true, hasKey: false });
    expect(sut.prompting).toBe(false);
    sut.rejected(null); // more refused requests do not force it back up
    expect(sut.prompting).toBe(false);
    sut.reopen();
    expect(sut.prompting).toBe(true);
    sut.submit('wrong');
    sut.dismiss(); // closed while checking
    sut.rejected('wrong');
    expect(sut.view).toEqual({ state: 'refused', dismissed: false, hasKey: false });
  });

  it('forgets the stored key on request', () => {
    const { sut, keys } = gate('k');
    sut.forget();
    expect(keys.get()).toBeNull();
    expect(sut.view.hasKey).toBe(false);
  });
});
