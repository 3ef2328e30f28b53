// Hostile clients at the door: missing, bad and expired credentials, other sites' pages,
// handshake floods, too many sockets and requests from one client, on one node and across two.
import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import type { Notice } from '../src/contracts';
import { connect, startApp, waitFor, type TestApp, type TestSocket } from './support/app';

const KEY = `key-${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(32).toString('hex');
const EVIL = 'https://evil.example';

async function jwt(claims: { sub?: string; exp?: number }, secret = SECRET): Promise<string> {
  let builder = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (claims.sub) builder = builder.setSubject(claims.sub);
  if (claims.exp !== undefined) builder = builder.setExpirationTime(claims.exp);
  return builder.sign(new TextEncoder().encode(secret));
}

/** An unsigned token (alg "none"), which must never be accepted. */
function unsignedJwt(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'mallory' })}.`;
}

const now = () => Math.floor(Date.now() / 1000);

/** The connect_error a refused handshake produces (rejects if the socket connects). */
function refusal(
  url: string,
  opts: Parameters<typeof io>[1] = {},
): Promise<Error & { data?: { code: string; message: string } }> {
  return connect(url, opts).then(
    (s) => {
      s.close();
      throw new Error('connected, but a refusal was expected');
    },
    (err: Error & { data?: { code: string; message: string } }) => err,
  );
}

/** Status of a raw WebSocket upgrade to the Socket.IO endpoint, with the given headers. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
    headers,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('Hostile access (e2e)', () => {
  const sockets: TestSocket[] = [];
  const open = async (url: string, opts: Parameters<typeof io>[1] = {}) => {
    const s = await connect(url, opts);
    sockets.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  describe('credentials (API_KEYS and JWT_SECRET set)', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startApp({ API_KEYS: KEY, JWT_SECRET: SECRET }, { fakeFeed: true });
    });
    afterAll(() => sut.close());

    it('REST without a credential: 401, the error shape, code UNAUTHORIZED, WWW-Authenticate', async () => {
      const res = await request(sut.url).get('/api/instruments').expect(401);
      expect(res.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.stringContaining('Authorization: Bearer'),
        code: 'UNAUTHORIZED',
      });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tickerboard"');
    });

    it.each([
      ['an unknown key', () => Promise.resolve(`${KEY}x`)],
      ['a JWT signed with another secret', () => jwt({ sub: 'a' }, 'x'.repeat(32))],
      ['an expired JWT', () => jwt({ sub: 'a', exp: now() - 120 })],
      ['an unsigned JWT (alg none)', () => Promise.resolve(unsignedJwt())],
    ])('REST with %s: 401 UNAUTHORIZED, error="invalid_token"', async (_what, token) => {
      const res = await request(sut.url)
        .get('/api/instruments')
        .set('Authorization', `Bearer ${await token()}`)
        .expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    });

    it('says an expired JWT is expired', async () => {
      const res = await request(sut.url)
        .get('/api/quotes/latest')
        .set('Authorization', `Bearer ${await jwt({ sub: 'a', exp: now() - 120 })}`)
        .expect(401);
      expect(res.body.message).toBe('Credential expired');
    });

    it('REST with a good key or a good JWT: 200', async () => {
      await request(sut.url)
        .get('/api/instruments')
        .set('Authorization', `Bearer ${KEY}`)
        .expect(200);
      const token = await jwt({ sub: 'alice', exp: now() + 600 });
      await request(sut.url)
        .get('/api/instruments/AAPL')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
    });

    it('a key in the query string is refused, and the answer says where it belongs', async () => {
      const res = await request(sut.url).get(`/api/instruments?api_key=${KEY}`).expect(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
      expect(res.body.message).toMatch(/query string.*Authorization header/);
    });

    it('health and the OpenAPI docs stay public; unknown /api paths need a credential too', async () => {
      await request(sut.url).get('/api/health').expect(200);
      await request(sut.url).get('/api/health/live').expect(200);
      await request(sut.url).get('/api/docs-json').expect(200);
      await request(sut.url).get('/api/nope').expect(401);
      // An encoded path reaches the same route, and the same check.
      await request(sut.url).get('/%61pi/instruments').expect(401);
    });

    it('socket without a token, with a bad one or an expired one: connect_error UNAUTHORIZED', async () => {
      const missing = await refusal(sut.url);
      expect(missing.data).toEqual({
        code: 'UNAUTHORIZED',
        message: expect.stringContaining('auth.token'),
      });
      for (const token of [
        'not-a-key-at-all-0000',
        await jwt({ sub: 'a', exp: now() - 120 }),
        unsignedJwt(),
      ]) {
        const err = await refusal(sut.url, { auth: { token } });
        expect(err.data?.code).toBe('UNAUTHORIZED');
      }
    });

    it('socket with the key in the query string instead of auth: refused', async () => {
      const err = await refusal(sut.url, { query: { token: KEY } });
      expect(err.data?.code).toBe('UNAUTHORIZED');
    });

    it('socket with a good key or a good JWT in auth.token: connects and subscribes', async () => {
      const a = await open(sut.url, { auth: { token: KEY } });
      const ack = await a.emitWithAck('subscribe', { symbols: ['AAPL'] });
      expect(ack.ok).toBe(true);
      await open(sut.url, { auth: { token: await jwt({ sub: 'bob', exp: now() + 600 }) } });
    });

    it('a JWT that expires while connected: a notice, then the server disconnects', async () => {
      // Accepted within the 30 s clock tolerance; its connection ends when that runs out (~2 s).
      const token = await jwt({ sub: 'carol', exp: now() - 28 });
      const s = await open(sut.url, { auth: { token } });
      const notices: Notice[] = [];
      s.on('notice', (n) => notices.push(n));
      let reason = '';
      s.on('disconnect', (r) => (reason = r));
      await waitFor(() => reason !== '', 6000, 'the disconnect at expiry');
      expect(reason).toBe('io server disconnect');
      expect(notices).toEqual([
        expect.objectContaining({ type: 'disconnecting', reason: 'credential_expired' }),
      ]);
    });
  });

  describe('origins (default ALLOWED_ORIGINS: own origin and localhost)', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startApp({}, { fakeFeed: true });
    });
    afterAll(() => sut.close());

    it('a CORS preflight from another site: 403 FORBIDDEN, no Access-Control-Allow-Origin', async () => {
      const res = await request(sut.url)
        .options('/api/instruments')
        .set('Origin', EVIL)
        .set('Access-Control-Request-Method', 'GET')
        .expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      // A simple GET is refused too, before it costs a query.
      await request(sut.url).get('/api/instruments').set('Origin', EVIL).expect(403);
    });

    it('localhost on any port and the server itself are allowed', async () => {
      const res = await request(sut.url)
        .options('/api/instruments')
        .set('Origin', 'http://localhost:5173')
        .set('Access-Control-Request-Method', 'GET')
        .expect(204);
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      await request(sut.url).get('/api/instruments').set('Origin', sut.url).expect(200);
      // No Origin (curl, servers): not a browser, allowed.
      await request(sut.url).get('/api/instruments').expect(200);
    });

    it('a WebSocket upgrade from another site: HTTP 403; from localhost: 101', async () => {
      expect(await upgradeStatus(sut.url, { Origin: EVIL })).toBe(403);
      expect(await upgradeStatus(sut.url, { Origin: 'http://127.0.0.1:8080' })).toBe(101);
      expect(await upgradeStatus(sut.url, {})).toBe(101);
    });

    it('a long-polling handshake from another site: HTTP 403', async () => {
      const res = await request(sut.url)
        .get('/socket.io/?EIO=4&transport=polling')
        .set('Origin', EVIL)
        .expect(403);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'FORBIDDEN' });
      await request(sut.url)
        .get('/socket.io/?EIO=4&transport=polling')
        .set('Origin', 'http://localhost:3000')
        .expect(200)
        .expect('access-control-allow-origin', 'http://localhost:3000');
    });
  });

  describe('ALLOWED_ORIGINS set', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startApp({ ALLOWED_ORIGINS: 'https://dash.example' }, { fakeFeed: true });
    });
    afterAll(() => sut.close());

    it('only the listed origins (and the server itself) pass, localhost no longer', async () => {
      expect(await upgradeStatus(sut.url, { Origin: 'https://dash.example' })).toBe(101);
      expect(await upgradeStatus(sut.url, { Origin: 'http://localhost:5173' })).toBe(403);
      await request(sut.url)
        .get('/api/instruments')
        .set('Origin', 'https://dash.example')
        .expect(200)
        .expect('access-control-allow-origin', 'https://dash.example');
      await request(sut.url)
        .get('/api/instruments')
        .set('Origin', 'http://localhost:5173')
        .expect(403);
    });
  });

  describe('per-IP socket limits', () => {
    it('a handshake flood: WS_HANDSHAKES_PER_IP=5, the 6th gets LIMIT_EXCEEDED', async () => {
      const sut = await startApp({ WS_HANDSHAKES_PER_IP: '5' }, { fakeFeed: true });
      try {
        for (let i = 0; i < 5; i++) (await connect(sut.url)).close();
        const err = await refusal(sut.url);
        expect(err.data).toEqual({
          code: 'LIMIT_EXCEEDED',
          message: expect.stringContaining('WS_HANDSHAKES_PER_IP is 5'),
          details: { limit: 'WS_HANDSHAKES_PER_IP', max: 5, windowMs: 300_000 },
        });
      } finally {
        await sut.close();
      }
    });

    it('WS_CONNECTIONS_PER_IP=3: the 4th open socket is refused; a closed one frees its slot', async () => {
      const sut = await startApp({ WS_CONNECTIONS_PER_IP: '3' }, { fakeFeed: true });
      try {
        const held = [await open(sut.url), await open(sut.url), await open(sut.url)];
        const err = await refusal(sut.url);
        expect(err.data?.code).toBe('LIMIT_EXCEEDED');
        expect(err.data?.message).toContain('WS_CONNECTIONS_PER_IP is 3');
        held[0]?.close();
        // The slot comes back once the server has seen the close.
        let again: TestSocket | undefined;
        const until = Date.now() + 3000;
        while (!again && Date.now() < until) {
          again = await connect(sut.url).catch(() => undefined);
          if (!again) await new Promise((r) => setTimeout(r, 50));
        }
        expect(again?.connected).toBe(true);
        sockets.push(again as TestSocket);
        // Still three at most: the refused attempts were not counted as open.
        expect((await refusal(sut.url)).data?.code).toBe('LIMIT_EXCEEDED');
      } finally {
        await sut.close();
      }
    });
  });

  describe('REST rate limit', () => {
    it('REST_RATE_LIMIT=5: requests to unknown paths spend the same budget', async () => {
      const sut = await startApp({ REST_RATE_LIMIT: '5' }, { fakeFeed: true });
      try {
        for (let i = 0; i < 3; i++) await request(sut.url).get(`/api/nope-${i}`).expect(404);
        for (let i = 0; i < 2; i++) await request(sut.url).get('/api/instruments').expect(200);
        const probe = await request(sut.url).get('/api/nope-again').expect(429);
        expect(probe.body).toMatchObject({ code: 'RATE_LIMITED' });
        await request(sut.url).get('/api/instruments').expect(429);
      } finally {
        await sut.close();
      }
    });

    it('REST_RATE_LIMIT=5: the 6th request is 429 with Retry-After and RATE_LIMITED; health is exempt', async () => {
      const sut = await startApp({ REST_RATE_LIMIT: '5' }, { fakeFeed: true });
      try {
        for (let i = 0; i < 5; i++) await request(sut.url).get('/api/instruments').expect(200);
        const res = await request(sut.url).get('/api/instruments').expect(429);
        expect(res.body).toEqual({
          statusCode: 429,
          error: 'Too Many Requests',
          message: expect.stringContaining('REST_RATE_LIMIT is 5 per minute'),
          code: 'RATE_LIMITED',
          details: { limit: 'REST_RATE_LIMIT', max: 5, retryAfterMs: expect.any(Number) },
        });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
        for (let i = 0; i < 10; i++) await request(sut.url).get('/api/health').expect(200);
      } finally {
        await sut.close();
      }
    });

    it('keyed by the verified credential: bad keys share the IP budget, a good key has its own', async () => {
      const sut = await startApp({ REST_RATE_LIMIT: '5', API_KEYS: KEY }, { fakeFeed: true });
      try {
        const bogus = () => `Bearer bogus-${randomBytes(8).toString('hex')}`;
        for (let i = 0; i < 5; i++)
          await request(sut.url).get('/api/instruments').set('Authorization', bogus()).expect(401);
        const res = await request(sut.url)
          .get('/api/instruments')
          .set('Authorization', bogus())
          .expect(429);
        expect(res.body.code).toBe('RATE_LIMITED');
        await request(sut.url)
          .get('/api/instruments')
          .set('Authorization', `Bearer ${KEY}`)
          .expect(200);
      } finally {
        await sut.close();
      }
    });
  });

  describe('TRUST_PROXY: whose address a limit counts', () => {
    const as = (ip: string) => ({ extraHeaders: { 'X-Forwarded-For': ip } });

    it('TRUST_PROXY=0: a forged X-Forwarded-For buys neither requests nor sockets', async () => {
      const sut = await startApp(
        { REST_RATE_LIMIT: '2', WS_CONNECTIONS_PER_IP: '1' },
        { fakeFeed: true },
      );
      try {
        for (const ip of ['1.1.1.1', '2.2.2.2'])
          await request(sut.url).get('/api/instruments').set('X-Forwarded-For', ip).expect(200);
        await request(sut.url)
          .get('/api/instruments')
          .set('X-Forwarded-For', '3.3.3.3')
          .expect(429);
        await open(sut.url, as('1.1.1.1'));
        expect((await refusal(sut.url, as('2.2.2.2'))).data?.code).toBe('LIMIT_EXCEEDED');
      } finally {
        await sut.close();
      }
    });

    it('TRUST_PROXY=1: clients behind the balancer are told apart by X-Forwarded-For', async () => {
      const sut = await startApp(
        { REST_RATE_LIMIT: '2', WS_CONNECTIONS_PER_IP: '1', TRUST_PROXY: '1' },
        { fakeFeed: true },
      );
      try {
        const get = (ip: string) =>
          request(sut.url).get('/api/instruments').set('X-Forwarded-For', ip);
        await get('1.1.1.1').expect(200);
        await get('1.1.1.1').expect(200);
        await get('1.1.1.1').expect(429);
        await get('2.2.2.2').expect(200);
        // Only the last hop is believed: a client's own prefix does not change who it is.
        await get('9.9.9.9, 1.1.1.1').expect(429);
        await open(sut.url, as('1.1.1.1'));
        await open(sut.url, as('2.2.2.2'));
        expect((await refusal(sut.url, as('7.7.7.7, 1.1.1.1'))).data?.code).toBe('LIMIT_EXCEEDED');
      } finally {
        await sut.close();
      }
    });
  });

  describe('limits shared through Redis (needs Redis on 127.0.0.1:6379)', () => {
    let a: TestApp;
    let b: TestApp;
    // A key and a client address of this run only: the counters in Redis are this run's.
    const runKey = `key-${randomBytes(12).toString('hex')}`;
    const runIp = `10.${[1, 2, 3].map(() => randomBytes(1)[0]).join('.')}`;
    const from = { extraHeaders: { 'X-Forwarded-For': runIp } };
    beforeAll(async () => {
      const env = {
        REDIS_URL: 'redis://127.0.0.1:6379',
        TRUST_PROXY: '1',
        API_KEYS: runKey,
        REST_RATE_LIMIT: '3',
        WS_CONNECTIONS_PER_IP: '2',
        WS_HANDSHAKES_PER_IP: '4',
      };
      [a, b] = await Promise.all([
        startApp(env, { fakeFeed: true }),
        startApp(env, { fakeFeed: true }),
      ]);
    });
    afterAll(() => Promise.all([a?.close(), b?.close()]));

    it('the REST limit counts requests on both nodes together', async () => {
      const get = (app: TestApp) =>
        request(app.url).get('/api/instruments').set('Authorization', `Bearer ${runKey}`);
      await get(a).expect(200);
      await get(b).expect(200);
      await get(a).expect(200);
      const res = await get(b).expect(429);
      expect(res.body.code).toBe('RATE_LIMITED');
    });

    it('open sockets and handshakes from one IP count across both nodes', async () => {
      const auth = { auth: { token: runKey }, ...from };
      await open(a.url, auth);
      await open(b.url, auth);
      const full = await refusal(a.url, auth);
      expect(full.data?.message).toContain('WS_CONNECTIONS_PER_IP is 2');
      // That was the 3rd handshake; the 4th is the last of the window, the 5th is refused.
      const fourth = await refusal(b.url, auth);
      expect(fourth.data?.message).toContain('WS_CONNECTIONS_PER_IP');
      const flood = await refusal(b.url, auth);
      expect(flood.data?.message).toContain('WS_HANDSHAKES_PER_IP is 4');
    });

    it('with Redis unreachable, REST lets requests through and the socket limits hold per node', async () => {
      const down = await startApp(
        {
          REDIS_URL: 'redis://127.0.0.1:1',
          REST_RATE_LIMIT: '1',
          WS_HANDSHAKES_PER_IP: '2',
        },
        { fakeFeed: true },
      );
      try {
        for (let i = 0; i < 3; i++) await request(down.url).get('/api/instruments').expect(200);
        for (let i = 0; i < 2; i++) (await connect(down.url)).close();
        const third = await refusal(down.url);
        expect(third.data).toMatchObject({ code: 'LIMIT_EXCEEDED' });
        expect(third.data?.message).toContain('WS_HANDSHAKES_PER_IP is 2');
      } finally {
        await down.close();
      }
    });
  });
});
