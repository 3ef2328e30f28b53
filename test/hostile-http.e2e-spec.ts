// What a hostile or careless HTTP client meets: forged page cursors, a slowloris connection,
// the security headers, and a metrics endpoint that is not public.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsService } from '../src/health/metrics.service';
import { CursorCodec } from '../src/quotes/cursor';
import { connect, startApp, type FakeFeedApp, type TestApp } from './support/app';

const CURSOR_SECRET = 'c'.repeat(40);
const METRICS_TOKEN = 'metrics-token-0123456789';
const REQUEST_TIMEOUT_MS = 1_000;

/** A cursor signed with the server's key whatever it holds: what only a key holder could write. */
function signed(fields: unknown): string {
  const body = Buffer.from(JSON.stringify(fields)).toString('base64url');
  const tag = createHmac('sha256', CURSOR_SECRET).update(body).digest().subarray(0, 16);
  return `${body}.${tag.toString('base64url')}`;
}

describe('a hostile HTTP client (e2e)', () => {
  let app: FakeFeedApp;
  let cursor: string;

  beforeAll(async () => {
    app = await startApp(
      {
        CURSOR_SECRET,
        METRICS_TOKEN,
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      },
      { fakeFeed: true },
    );
    app.feed.tickAll(6);
    const res = await fetch(`${app.url}/api/instruments/AAPL/quotes?from=0&limit=2`);
    cursor = ((await res.json()) as { nextCursor: string }).nextCursor;
  });

  afterAll(async () => {
    await app?.close();
  });

  async function quotes(query: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${app.url}/api/instruments/AAPL/quotes?${query}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  describe('page cursors', () => {
    it('follows a cursor the server issued', async () => {
      expect(cursor).toEqual(expect.any(String));
      const next = await quotes(`cursor=${encodeURIComponent(cursor)}`);
      expect(next.status).toBe(200);
      expect((next.body.quotes as { seq: number }[]).map((q) => q.seq)).toEqual([3, 4, 5, 6]);
    });

    it('answers forged, tampered, truncated and foreign cursors 400 INVALID_PAYLOAD', async () => {
      const [body, tag] = cursor.split('.');
      const edited = Buffer.from(JSON.stringify(['AAPL', 0, 0, null])).toString('base64url');
      const otherKey = new CursorCodec('o'.repeat(40)).encode({ symbol: 'AAPL', afterSeq: 0 });
      const bad = [
        `${edited}.${tag}`, // forged body under a real tag
        `${body.slice(0, -1)}${body.endsWith('A') ? 'B' : 'A'}.${tag}`, // tampered body
        `${body}.${tag.slice(0, -1)}${tag.endsWith('A') ? 'B' : 'A'}`, // tampered tag
        `${body}.${tag.slice(0, 10)}`, // truncated
        otherKey, // issued under another key
        '.',
        'x'.repeat(500),
        '%00%ff',
      ];
      for (const text of bad) {
        const res = await quotes(`cursor=${encodeURIComponent(text)}`);
        expect({ text, status: res.status, code: res.body.code }).toEqual({
          text,
          status: 400,
          code: 'INVALID_PAYLOAD',
        });
        expect(res.body.message).toBe('cursor was not issued by this server');
      }
    });

    it('answers a signed cursor with fields no query could name 400, never a 500', async () => {
      for (const fields of [
        ['AAPL', -1, null, null],
        ['AAPL', 1e300, null, null],
        ['AAPL', 1, 5, 2],
        ['AAPL', 1, null, 1e300],
        ['AAPL', 1, { $gt: 0 }, null],
        ['AAPL', 1, null, null, 'extra'],
      ]) {
        const res = await quotes(`cursor=${encodeURIComponent(signed(fields))}`);
        expect({ fields, status: res.status, code: res.body.code }).toEqual({
          fields,
          status: 400,
          code: 'INVALID_PAYLOAD',
        });
      }
    });

    it('answers a from or to that differs from the range of the cursor 400', async () => {
      const c = encodeURIComponent(cursor);
      expect((await quotes(`cursor=${c}&from=0`)).status).toBe(200);
      const res = await quotes(`cursor=${c}&from=1`);
      expect(res).toMatchObject({
        status: 400,
        body: { code: 'INVALID_PAYLOAD', message: 'from differs from the range of the cursor' },
      });
      expect((await quotes(`cursor=${c}&to=5000`)).status).toBe(400);
    });
  });

  it('cuts off a client that trickles its headers, while serving others meanwhile', async () => {
    const socket = tcpConnect(app.port, '127.0.0.1');
    const opened = Date.now();
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    const closed = new Promise<number>((resolve) =>
      socket.once('close', () => resolve(Date.now())),
    );
    socket.write('GET /api/health HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('X-Slow: 1\r\n');
    }, 100);
    try {
      // Others are served while the slow client holds its connection open.
      const started = Date.now();
      const other = await fetch(`${app.url}/api/health`);
      expect(other.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(500);
      const closedAt = await closed;
      const held = closedAt - opened;
      expect(held).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(held).toBeLessThan(REQUEST_TIMEOUT_MS + 1_500);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  it('leaves an open WebSocket alone: it is no request being received', async () => {
    const socket = await connect(app.url);
    let disconnected = false;
    socket.on('disconnect', () => (disconnected = true));
    try {
      await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS * 2.5));
      expect(disconnected).toBe(false);
      const ack = await socket.timeout(2_000).emitWithAck('subscriptions');
      expect(ack).toMatchObject({ ok: true });
    } finally {
      socket.disconnect();
    }
  });

  it('sends the security headers on the API and on other paths', async () => {
    for (const path of ['/', '/api/instruments', '/api/nope']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      // Plain HTTP: HSTS belongs on the TLS terminator, not here.
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('returns a safe X-Request-Id as sent, and replaces an unsafe one', async () => {
    const same = await fetch(`${app.url}/api/health`, { headers: { 'X-Request-Id': 'trace-42' } });
    expect(same.headers.get('x-request-id')).toBe('trace-42');
    const unsafe = await fetch(`${app.url}/api/health`, {
      headers: { 'X-Request-Id': '<script>alert(1)</script>' },
    });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves /api/metrics only with the bearer METRICS_TOKEN', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', METRICS_TOKEN]) {
      const res = await fetch(`${app.url}/api/metrics`, {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
    }
    const res = await fetch(`${app.url}/api/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('tickerboard_feed_ticks');
  });
});

describe('metrics on METRICS_PORT (e2e)', () => {
  let app: TestApp;
  let metricsUrl: string;

  beforeAll(async () => {
    app = await startApp({ METRICS_PORT: '0', METRICS_TOKEN });
    metricsUrl = `http://127.0.0.1:${app.app.get(MetricsService).port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves the metrics there, behind the token, and not on PORT', async () => {
    const auth = { authorization: `Bearer ${METRICS_TOKEN}` };
    const there = await fetch(`${metricsUrl}/api/metrics`, { headers: auth });
    expect(there.status).toBe(200);
    expect(await there.text()).toContain('process_cpu_user_seconds_total');
    const noToken = await fetch(`${metricsUrl}/api/metrics`);
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const onPort = await fetch(`${app.url}/api/metrics`, { headers: auth });
    expect(onPort.status).toBe(404);
    // Nothing else is served on the metrics port.
    for (const path of ['/api/health', '/api/instruments', '/']) {
      expect((await fetch(`${metricsUrl}${path}`, { headers: auth })).status).toBe(404);
    }
  });
});

describe('cursor keys across restarts (e2e)', () => {
  it('keeps a generated key in DATA_DIR, and refuses cursors of another key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tickerboard-cursor-'));
    const path = '/api/instruments/AAPL/quotes';
    let first: FakeFeedApp | undefined;
    let second: FakeFeedApp | undefined;
    let other: FakeFeedApp | undefined;
    try {
      first = await startApp({ DATA_DIR: dataDir, FLUSH_MS: '20' }, { fakeFeed: true });
      first.feed.tickAll(4);
      const page = (await (await fetch(`${first.url}${path}?from=0&limit=2`)).json()) as {
        nextCursor: string;
      };
      await first.close();
      first = undefined;
      second = await startApp({ DATA_DIR: dataDir }, { fakeFeed: true });
      const next = await fetch(
        `${second.url}${path}?cursor=${encodeURIComponent(page.nextCursor)}`,
      );
      expect(next.status).toBe(200);
      expect(((await next.json()) as { quotes: unknown[] }).quotes).toHaveLength(2);
      other = await startApp({ CURSOR_SECRET }, { fakeFeed: true });
      const refused = await fetch(
        `${other.url}${path}?cursor=${encodeURIComponent(page.nextCursor)}`,
      );
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ code: 'INVALID_PAYLOAD' });
    } finally {
      await first?.close();
      await second?.close();
      await other?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
