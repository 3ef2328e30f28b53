import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { UnauthorizedError } from '../common/errors';
import { bearerToken, CredentialVerifier, JWT_CLOCK_TOLERANCE_S } from './credentials.verifier';

const KEY_A = 'a-key-of-sixteen-chars';
const KEY_B = 'another-key-0123456789';
const SECRET = 's'.repeat(32);
const NOW = Date.UTC(2026, 0, 1);
const at = (s: number) => Math.floor(NOW / 1000) + s;

function hs256(claims: Record<string, unknown>, secret = SECRET, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

function unsigned(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

async function refusal(sut: CredentialVerifier, token: string | undefined): Promise<string> {
  const err = await sut.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnauthorizedError);
  return (err as Error).message;
}

describe('bearerToken', () => {
  it('reads "Bearer <token>" only', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer  abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('CredentialVerifier', () => {
  it('is not required when nothing is configured', () => {
    expect(new CredentialVerifier({}).required).toBe(false);
    expect(new CredentialVerifier({ apiKeys: [KEY_A] }).required).toBe(true);
    expect(new CredentialVerifier({ jwtSecret: SECRET }).required).toBe(true);
  });

  describe('API keys', () => {
    const sut = new CredentialVerifier({ apiKeys: [KEY_A, KEY_B] });

    it('accepts each configured key and names it without revealing it', async () => {
      const a = await sut.verify(KEY_A);
      const b = await sut.verify(KEY_B);
      expect(a.id).toMatch(/^key:[0-9a-f]{16}$/);
      expect(a.id).not.toBe(b.id);
      expect(a.id).not.toContain(KEY_A);
      expect(a.expiresAt).toBeUndefined();
    });

    it('refuses a missing, unknown, prefixed or extended key', async () => {
      expect(await refusal(sut, undefined)).toMatch(/Authorization: Bearer/);
      expect(await refusal(sut, '')).toMatch(/Authorization: Bearer/);
      for (const bad of ['nope', KEY_A.slice(0, -1), `${KEY_A}x`, KEY_A.toUpperCase()])
        expect(await refusal(sut, bad)).toBe('Invalid credential');
    });

    it('refuses a JWT when no JWT key is configured', async () => {
      expect(await refusal(sut, await hs256({ sub: 'x' }))).toBe('Invalid credential');
    });
  });

  describe('HS256 JWTs', () => {
    const sut = new CredentialVerifier({ jwtSecret: SECRET, now: () => NOW });

    it('accepts a good token, names its subject, and knows its expiry', async () => {
      const p = await sut.verify(await hs256({ sub: 'alice', exp: at(600) }));
      expect(p).toEqual({ id: 'jwt:alice', expiresAt: (at(600) + JWT_CLOCK_TOLERANCE_S) * 1000 });
    });

    it('refuses an expired token, and says so', async () => {
      expect(
        await refusal(sut, await hs256({ sub: 'a', exp: at(-JWT_CLOCK_TOLERANCE_S - 1) })),
      ).toBe('Credential expired');
    });

    it('forgives a little clock skew on exp and nbf', async () => {
      await expect(sut.verify(await hs256({ sub: 'a', exp: at(-5) }))).resolves.toBeDefined();
      await expect(sut.verify(await hs256({ sub: 'a', nbf: at(5) }))).resolves.toBeDefined();
      expect(await refusal(sut, await hs256({ sub: 'a', nbf: at(600) }))).toBe(
        'Invalid credential',
      );
    });

    it('refuses another secret, alg none, another HMAC alg and a tampered payload', async () => {
      expect(await refusal(sut, await hs256({ sub: 'a' }, 't'.repeat(32)))).toBe(
        'Invalid credential',
      );
      expect(await refusal(sut, unsigned({ sub: 'a' }))).toBe('Invalid credential');
      expect(await refusal(sut, await hs256({ sub: 'a' }, SECRET, 'HS384'))).toBe(
        'Invalid credential',
      );
      const [h, , sig] = (await hs256({ sub: 'alice' })).split('.');
      const forged = Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url');
      expect(await refusal(sut, `${h}.${forged}.${sig}`)).toBe('Invalid credential');
    });

    it('a verified (cached) token is refused once it has expired', async () => {
      let now = NOW;
      const clocked = new CredentialVerifier({ jwtSecret: SECRET, now: () => now });
      const token = await hs256({ sub: 'a', exp: at(60) });
      await clocked.verify(token);
      await clocked.verify(token);
      now += (60 + JWT_CLOCK_TOLERANCE_S + 1) * 1000;
      expect(await refusal(clocked, token)).toBe('Credential expired');
    });
  });

  describe('JWKS (asymmetric) JWTs', () => {
    it('accepts a token signed by a key of the set, refuses HS256 and alg none', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
      const sut = new CredentialVerifier({ jwks: createLocalJWKSet({ keys: [jwk] }) });
      const good = await new SignJWT({ sub: 'svc' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setExpirationTime('5m')
        .sign(privateKey);
      expect((await sut.verify(good)).id).toBe('jwt:svc');
      // No HS256 secret configured: an HMAC token is not checked against the public key.
      expect(await refusal(sut, await hs256({ sub: 'svc' }))).toBe('Invalid credential');
      expect(await refusal(sut, unsigned({ sub: 'svc' }))).toBe('Invalid credential');
    });
  });
});
