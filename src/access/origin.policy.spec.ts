import { OriginPolicy } from './origin.policy';

describe('OriginPolicy', () => {
  describe('default (nothing listed)', () => {
    const sut = new OriginPolicy([]);

    it('allows requests without an Origin (not a browser page)', () => {
      expect(sut.allows(undefined, 'md.example:3000')).toBe(true);
    });

    it("allows the server's own origin, over http or https", () => {
      expect(sut.allows('http://md.example:3000', 'md.example:3000')).toBe(true);
      expect(sut.allows('https://md.example', 'md.example')).toBe(true);
    });

    it('allows localhost, 127.0.0.1 and [::1] on any port', () => {
      for (const o of [
        'http://localhost',
        'http://localhost:5173',
        'https://127.0.0.1:8443',
        'http://[::1]:3000',
      ])
        expect(sut.allows(o, 'md.example')).toBe(true);
    });

    it('refuses other sites, look-alikes and "null"', () => {
      for (const o of [
        'https://evil.example',
        'http://localhost.evil.example',
        'http://md.example:3000.evil.example',
        'http://127.0.0.1.nip.io',
        'null',
        'ws://localhost:3000',
      ])
        expect(sut.allows(o, 'md.example:3000')).toBe(false);
    });
  });

  it('with origins listed: those and the server itself, localhost no longer', () => {
    const sut = new OriginPolicy(['https://dash.example']);
    expect(sut.allows('https://dash.example', 'api.example')).toBe(true);
    expect(sut.allows('https://api.example', 'api.example')).toBe(true);
    expect(sut.allows('http://localhost:5173', 'api.example')).toBe(false);
    expect(sut.allows('http://dash.example', 'api.example')).toBe(false);
  });

  it('"*" allows every origin', () => {
    expect(new OriginPolicy(['*']).allows('https://anyone.example', 'api.example')).toBe(true);
  });
});
