// REST side of access control, as Fastify hooks: the Origin, the credential and the per-client
// rate limit, each checked once per request before any route work.
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimitedError, UnauthorizedError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { clientIp } from './client-ip.resolver';
import { bearerToken, CredentialVerifier, type Principal } from './credentials.verifier';
import { OriginPolicy } from './origin.policy';
import { REDIS_KEY_PREFIX, RedisLink } from './redis.link';

const PRINCIPAL = Symbol('principal');
const AUTH_ERROR = Symbol('authError');
type AccessRequest = FastifyRequest & { [PRINCIPAL]?: Principal; [AUTH_ERROR]?: Error };

/** Route patterns outside the credential check: health for balancers, the OpenAPI docs. */
function isPublicRoute(route: string, config: AppConfig): boolean {
  return (
    route === '/api/health' ||
    route.startsWith('/api/health/') ||
    // The API's description only: it holds no data, and a key prompt can link to it.
    route === '/api/docs' ||
    route.startsWith('/api/docs/') ||
    route === '/api/docs-json' ||
    // With METRICS_TOKEN the metrics route checks its own bearer token.
    (route === '/api/metrics' && config.metricsToken !== undefined)
  );
}

const isHealthRoute = (route: string): boolean =>
  route === '/api/health' || route.startsWith('/api/health/');

/** Names of query parameters a credential is sometimes (wrongly) sent in. */
const QUERY_CREDENTIAL = /[?&](api_?key|key|token|access_token|auth|authorization)=/i;

/**
 * Installs CORS, the credential check and the rate limit. Call before the routes are registered
 * (setupApp runs before listen): the rate limit attaches itself to each route as it is added.
 */
export async function setupAccess(app: NestFastifyApplication): Promise<void> {
  const config = app.get(AppConfig);
  const verifier = app.get(CredentialVerifier);
  const origins = app.get(OriginPolicy);
  const redis = app.get(RedisLink, { strict: false }) as RedisLink | null;
  const log = new Logger('Access');
  const fastify = app.getHttpAdapter().getInstance();

  app.enableCors({
    delegator: (req, callback) =>
      callback(null, {
        origin: origins.allows(req.headers.origin, req.headers.host),
        exposedHeaders: ['Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
        maxAge: 600,
        // An OPTIONS without the preflight headers is an ordinary request, answered by the API.
        strictPreflight: false,
      }),
  });

  fastify.addHook('onRequest', async (req: AccessRequest) => {
    const origin = req.headers.origin;
    // A page of another site: refused before any work (CORS alone would let the request run
    // and only hide the answer from the page).
    if (origin !== undefined && !origins.allows(origin, req.headers.host))
      throw origins.refusal(origin);
    if (!verifier.required || req.method === 'OPTIONS') return;
    // The matched route pattern, not the raw URL: an encoded or doubled path cannot dodge it.
    const route = req.routeOptions.url ?? (req.url.startsWith('/api') ? '/api' : '');
    if (!route.startsWith('/api') || isPublicRoute(route, config)) return;
    try {
      req[PRINCIPAL] = await verifier.verify(bearerToken(req.headers.authorization));
    } catch (err) {
      // Answered after the rate limit has counted the request against the caller's IP, so that
      // guessing credentials is limited like anything else.
      req[AUTH_ERROR] = withQueryHint(err as Error, req.url);
    }
  });
  fastify.addHook('preParsing', async (req: AccessRequest, reply: FastifyReply) => {
    const err = req[AUTH_ERROR];
    if (!err) return;
    reply.header(
      'WWW-Authenticate',
      req.headers.authorization
        ? 'Bearer realm="tickerboard", error="invalid_token"'
        : 'Bearer realm="tickerboard"',
    );
    throw err;
  });

  if (config.restRateLimit > 0) {
    if (redis) await redis.ready(2000);
    await app.register(rateLimit, {
      max: config.restRateLimit,
      timeWindow: 60_000,
      // Per verified caller; unauthenticated (or public) requests per IP, so bad credentials do
      // not open new buckets.
      keyGenerator: (req) =>
        (req as AccessRequest)[PRINCIPAL]?.id ?? `ip:${clientIp(req.ip, undefined, 0)}`,
      allowList: (req) => isHealthRoute(req.routeOptions.url ?? ''),
      ...(redis
        ? {
            redis: redis.client,
            nameSpace: `${REDIS_KEY_PREFIX}rest:`,
            // Redis unreachable: let requests through (RedisLink says so once per outage).
            skipOnError: true,
          }
        : {}),
      errorResponseBuilder: (_req, context) =>
        new RateLimitedError(
          `Too many requests: REST_RATE_LIMIT is ${context.max} per minute; retry in ${context.after}`,
          { limit: 'REST_RATE_LIMIT', max: context.max, retryAfterMs: context.ttl },
        ),
    });
    // The plugin limits the routes it sees registered; a request matching none (a 404) is
    // counted here, so probing unknown paths spends the same budget.
    const unmatched = fastify.rateLimit();
    fastify.addHook('onRequest', async (req: AccessRequest, reply: FastifyReply) => {
      if (req.routeOptions.url === undefined) await unmatched.call(fastify, req, reply);
    });
  }

  if (verifier.required) {
    log.log('REST (/api, except health and docs) and sockets require a credential');
  } else {
    log.log(
      'The API is public: no API_KEYS, JWT_SECRET or JWT_JWKS_URL is set, so REST and sockets need no credential',
    );
  }
}

/** A credential in the query string is never read; the refusal says where it belongs. */
function withQueryHint(err: Error, url: string): Error {
  if (!(err instanceof UnauthorizedError) || !QUERY_CREDENTIAL.test(url)) return err;
  return new UnauthorizedError(
    `${err.message}. Credentials in a query string are not accepted (URLs end up in logs): use the Authorization header`,
  );
}
