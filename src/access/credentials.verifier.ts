// Who is calling: checks a bearer credential (a static API key or a JWT) once per request or
// socket handshake, and names the caller so that rate limits follow it rather than the token.
import { createHash, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';
import { UnauthorizedError } from '../common/errors';

/** A verified caller. `id` keys the per-client limits; it never contains the credential. */
export interface Principal {
  id: string;
  /** When the credential stops being valid (epoch ms); absent for API keys and JWTs without exp. */
  expiresAt?: number;
}

export interface CredentialOptions {
  apiKeys?: readonly string[];
  /** HS256 secret. */
  jwtSecret?: string;
  /** JWKS URL (asymmetric keys); fetched and cached by jose. */
  jwtJwksUrl?: string;
  /** Injected in tests instead of a URL. */
  jwks?: JWTVerifyGetKey;
  now?: () => number;
}

/** Seconds of disagreement between our clock and the issuer's that exp/nbf forgive. */
export const JWT_CLOCK_TOLERANCE_S = 30;
/** Successful JWT verifications kept, so a dashboard's REST calls skip the signature check. */
const JWT_CACHE_SIZE = 1000;
const ASYMMETRIC_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
];

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

export const MISSING_CREDENTIAL =
  'This server requires a credential: send "Authorization: Bearer <API key or JWT>" (socket: auth.token)';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

export class CredentialVerifier {
  /** Whether any credential is configured; false: the API is public. */
  readonly required: boolean;
  private readonly keyHashes: Buffer[];
  // A KeyObject made once: jose would otherwise import raw bytes on every verification.
  private readonly secret?: KeyObject;
  private readonly jwks?: JWTVerifyGetKey;
  private readonly now: () => number;
  /** token -> principal; insertion order is age, so the oldest goes first when full. */
  private readonly jwtCache = new Map<string, Principal>();

  constructor(options: CredentialOptions) {
    this.keyHashes = (options.apiKeys ?? []).map(sha256);
    this.secret = options.jwtSecret ? createSecretKey(Buffer.from(options.jwtSecret)) : undefined;
    this.jwks =
      options.jwks ??
      (options.jwtJwksUrl ? createRemoteJWKSet(new URL(options.jwtJwksUrl)) : undefined);
    this.now = options.now ?? Date.now;
    this.required = this.keyHashes.length > 0 || !!this.secret || !!this.jwks;
  }

  /** The caller a credential names; throws UnauthorizedError when it is missing, unknown or expired. */
  async verify(token: string | undefined): Promise<Principal> {
    if (!token) throw new UnauthorizedError(MISSING_CREDENTIAL);
    // Bounded work for any input: a credential is never this long.
    if (token.length > 8192) throw new UnauthorizedError('Invalid credential');
    const key = this.matchKey(token);
    if (key) return key;
    if ((this.secret || this.jwks) && token.split('.').length === 3) return this.verifyJwt(token);
    throw new UnauthorizedError('Invalid credential');
  }

  /**
   * Compares the token with every key in constant time: both sides are hashed first, so neither
   * the length nor the content of a key leaks through timing, and no key ends the loop early.
   */
  private matchKey(token: string): Principal | undefined {
    if (this.keyHashes.length === 0) return undefined;
    const hash = sha256(token);
    let found = -1;
    for (let i = 0; i < this.keyHashes.length; i++) {
      if (timingSafeEqual(hash, this.keyHashes[i] as Buffer) && found < 0) found = i;
    }
    // The hash's prefix names the key in limits without revealing it.
    return found < 0 ? undefined : { id: `key:${hash.subarray(0, 8).toString('hex')}` };
  }

  private async verifyJwt(token: string): Promise<Principal> {
    const cached = this.jwtCache.get(token);
    if (cached && (cached.expiresAt === undefined || cached.expiresAt > this.now())) return cached;
    if (cached) this.jwtCache.delete(token);
    let payload: JWTPayload;
    try {
      payload = await this.verifySignature(token);
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Credential expired');
      throw new UnauthorizedError('Invalid credential');
    }
    const principal: Principal = {
      // One bucket per subject: fresh tokens for the same subject do not buy more requests.
      id: `jwt:${payload.sub ?? sha256(token).subarray(0, 8).toString('hex')}`,
      ...(payload.exp !== undefined
        ? { expiresAt: (payload.exp + JWT_CLOCK_TOLERANCE_S) * 1000 }
        : {}),
    };
    if (this.jwtCache.size >= JWT_CACHE_SIZE) {
      this.jwtCache.delete(this.jwtCache.keys().next().value as string);
    }
    this.jwtCache.set(token, principal);
    return principal;
  }

  private verifySignature(token: string): Promise<JWTPayload> {
    const options = { clockTolerance: JWT_CLOCK_TOLERANCE_S, currentDate: new Date(this.now()) };
    // The header's alg picks the key, and each key accepts only its own algorithms: an HS256
    // token signed with a public key, or alg "none", is refused.
    const hs256 = /"alg"\s*:\s*"HS256"/.test(decodeHeader(token));
    if (hs256 && this.secret) {
      return jwtVerify(token, this.secret, { ...options, algorithms: ['HS256'] }).then(
        (r) => r.payload,
      );
    }
    if (!hs256 && this.jwks) {
      return jwtVerify(token, this.jwks, { ...options, algorithms: ASYMMETRIC_ALGS }).then(
        (r) => r.payload,
      );
    }
    return Promise.reject(new Error('no key for this algorithm'));
  }
}

function decodeHeader(token: string): string {
  const header = token.slice(0, token.indexOf('.'));
  return header.length > 2048 ? '' : Buffer.from(header, 'base64url').toString('utf8');
}
