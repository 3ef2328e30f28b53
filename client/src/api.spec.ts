import { jest } from '@jest/globals';
import { ApiError, createApi } from './api';
import { AuthGate } from './auth';
import { KeyStore } from './key-store';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const UNAUTHORIZED_BODY = {
  statusCode: 401,
  error: 'Unauthorized',
  message: 'A valid API key or token is required.',
  code: 'UNAUTHORIZED',
};

function setup(answer: () => Response, key: string | null = null) {
  const keys = new KeyStore(null);
  if (key) keys.set(key);
  const auth = new AuthGate(keys);
  const calls: Array<{ url: string; headers: Record<string, string> }> = [];
  const fetchImpl = jest.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), headers: { ...(init?.headers as Record<string, string>) } });
    return answer();
  });
  const sut = createApi('/api', fetchImpl as unknown as typeof fetch, auth);
  return { sut, auth, keys, calls };
}

describe('createApi', () => {
  it('sends no Authorization header when no key is stored', async () => {
    const { sut, calls } = setup(() => json(200, { instruments: [] }));
    await sut.instruments();
    expect(calls).toHaveLength(1);
    expect(calls[0].headers).toEqual({ accept: 'application/json' });
  });

  it('sends the stored key as a Bearer token, never in the URL, and the key held at each call', async () => {
    const { sut, keys, calls } = setup(() => json(200, { quotes: [] }), 'key-one');
    await sut.latestQuotes(['AAPL']);
    keys.set('key-two');
    await sut.candles('AAPL', '1m', { limit: 5 });
    expect(calls.map((c) => c.headers.authorization)).toEqual(['Bearer key-one', 'Bearer key-two']);
    for (const c of calls) expect(c.url).not.toMatch(/key-/);
  });

  it('turns a 401 into an ApiError with code UNAUTHORIZED and tells the gate which key was refused', async () => {
    const { sut, auth } = setup(
      () => json(401, UNAUTHORIZED_BODY, { 'www-authenticate': 'Bearer' }),
      'wrong-key',
    );
    const err = await sut.instruments().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      unauthorized: true,
      message: 'Could not load the instrument list: A valid API key or token is required. (401).',
    });
    expect(auth.view).toEqual({ state: 'refused', dismissed: false, hasKey: false });
  });

  it('calls a bare 401 (a proxy, no error body) UNAUTHORIZED too; other failures are not', async () => {
    const bare = setup(() => new Response('nope', { status: 401, statusText: 'Unauthorized' }));
    await expect(bare.sut.instruments()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(bare.auth.view.state).toBe('asking');

    const down = setup(() =>
      json(503, {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'x',
        code: 'STORE_UNAVAILABLE',
      }),
    );
    const err = (await down.sut.instruments().catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('STORE_UNAVAILABLE');
    expect(err.unauthorized).toBe(false);
    expect(down.auth.view.state).toBe('open');
  });

  it('settles an entered key once the server answers a request made with it', async () => {
    let status = 401;
    const { sut, auth } = setup(() =>
      status === 401 ? json(401, UNAUTHORIZED_BODY) : json(200, { instruments: [] }),
    );
    await sut.instruments().catch(() => undefined);
    expect(auth.view.state).toBe('asking');
    auth.submit('right-key');
    status = 200;
    await sut.instruments();
    expect(auth.view).toEqual({ state: 'open', dismissed: false, hasKey: true });
  });
});
