// The dashboard against a server that wants an API key, in Chromium: it asks, says when a key is
// refused, streams once the right one is entered, keeps it for the tab (sessionStorage) and can
// forget it; a public server never asks.
//
// AUTH_STUB=1 runs the keyed part against a small stand-in for the server's enforcement (below),
// in front of a public server: the same contract, for checking the page where the server's own
// enforcement is not in the build yet. Without it, the real server with API_KEYS is used.
/// <reference lib="dom" />
import { createServer, request, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { Server as IoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import {
  chromiumAvailable,
  launchBrowser,
  startServer,
  type BrowserServer,
  type TestBrowser,
} from '../support/browser';

const run = chromiumAvailable() ? describe : describe.skip;

const KEY = 'test-key-0123456789abcdef';
const KEY_STORAGE = 'tickerboard.apiKey';
const STUB = process.env.AUTH_STUB === '1';

/** The prompt is on screen (a modal <dialog> is open). */
const promptOpen = (page: Page) => page.$eval('#key-prompt', (d) => (d as HTMLDialogElement).open);

async function pricesFilled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('#watchlist tbody td.col-last')];
    return cells.length > 0 && cells.every((td) => !td.textContent?.includes('—'));
  });
}

async function pricesMove(page: Page): Promise<void> {
  const read = () =>
    page.$$eval('#watchlist tbody td.col-last', (tds) => tds.map((td) => td.textContent).join('|'));
  const before = await read();
  await page.waitForFunction(
    (b) =>
      [...document.querySelectorAll('#watchlist tbody td.col-last')]
        .map((td) => td.textContent)
        .join('|') !== b,
    before,
  );
}

/**
 * The server's credential check as the contract states it, in front of a public server: /api
 * (except /api/health*) wants `Authorization: Bearer <key>` or gets 401 with the error shape and
 * `WWW-Authenticate: Bearer`; the socket handshake wants `auth.token` or gets a connect_error whose
 * data.code is UNAUTHORIZED. Accepted sockets are bridged to the real server, events and acks alike.
 */
async function startAuthStub(upstream: string, key: string) {
  const up = new URL(upstream);
  const refuse = (res: import('node:http').ServerResponse) => {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
    res.end(
      JSON.stringify({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'A valid API key is required.',
        code: 'UNAUTHORIZED',
      }),
    );
  };
  const http: HttpServer = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '/';
    const guarded = path.startsWith('/api') && !path.startsWith('/api/health');
    if (guarded && req.headers.authorization !== `Bearer ${key}`) return refuse(res);
    const fwd = request(
      {
        host: up.hostname,
        port: up.port,
        method: req.method,
        path,
        headers: { ...req.headers, host: up.host },
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  const io = new IoServer(http);
  io.use((socket, next) => {
    if ((socket.handshake.auth as { token?: unknown }).token === key) return next();
    const message = 'A valid API key is required.';
    next(Object.assign(new Error(message), { data: { code: 'UNAUTHORIZED', message } }));
  });
  io.on('connection', (socket) => {
    const bridge = ioClient(upstream, { transports: ['websocket'], forceNew: true });
    socket.onAny((event: string, ...args: unknown[]) => bridge.emit(event, ...args));
    bridge.onAny((event: string, ...args: unknown[]) => socket.emit(event, ...args));
    socket.on('disconnect', () => bridge.close());
    bridge.on('disconnect', () => socket.disconnect(true));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => io.close(() => r())),
  };
}

run('Dashboard and API keys in Chromium', () => {
  let publicServer: BrowserServer;
  let keyed: { url: string; close(): Promise<void> };
  let browser: TestBrowser;
  let page: Page;
  /** Every request the page made, and the 401s it was answered. */
  const requests: Array<{ url: string; authorization?: string }> = [];
  const refusals: string[] = [];

  beforeAll(async () => {
    publicServer = await startServer({ TICK_RATE: '400' });
    if (STUB) {
      keyed = await startAuthStub(publicServer.url, KEY);
    } else {
      const server = await startServer({ TICK_RATE: '400', API_KEYS: KEY });
      keyed = {
        url: server.url,
        close: async () => {
          await server.stop();
          server.cleanup();
        },
      };
    }
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(10_000);
    page.on('request', (r) =>
      requests.push({ url: r.url(), authorization: r.headers()['authorization'] }),
    );
    page.on('response', (r) => {
      if (r.status() === 401) refusals.push(r.url());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await keyed?.close();
    await publicServer?.stop();
    publicServer?.cleanup();
  });

  it('never asks on a public server', async () => {
    await page.goto(publicServer.url);
    await page.waitForSelector('#badge[data-state="live"]');
    await pricesFilled(page);
    expect(await promptOpen(page)).toBe(false);
    expect(await page.isHidden('#key-control')).toBe(true);
    expect(refusals).toEqual([]);
  });

  it('asks for a key, with focus in the box; Escape leaves a way back to it', async () => {
    await page.goto(keyed.url);
    await page.waitForSelector('#key-prompt[open]');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('key-input');
    expect(await page.getAttribute('#key-input', 'type')).toBe('password');
    expect(await page.textContent('#key-prompt')).toMatch(/API key needed/);
    expect(await page.textContent('#message > span')).toBe(
      'This server needs an API key to show market data.',
    );
    expect(refusals.length).toBeGreaterThan(0);

    await page.keyboard.press('Escape');
    await page.waitForSelector('#key-prompt', { state: 'hidden' });
    expect(await page.textContent('#key-control')).toBe('Enter API key');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('key-control');
    // No retry storm while nobody answers the prompt.
    const asked = refusals.length;
    await page.waitForTimeout(2_500);
    expect(refusals.length).toBe(asked);

    await page.keyboard.press('Enter'); // the focused "Enter API key" button
    await page.waitForSelector('#key-prompt[open]');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('key-input');
  });

  it('says when a key is not accepted, and keeps asking', async () => {
    await page.keyboard.type('not-the-key');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => document.querySelector('#key-error')?.textContent === 'That key was not accepted.',
    );
    expect(await promptOpen(page)).toBe(true);
    expect(await page.getAttribute('#key-input', 'aria-invalid')).toBe('true');
    expect(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE)).toBeNull();
  });

  it('streams once the right key is entered, sent as a header and never in a URL', async () => {
    await page.fill('#key-input', KEY);
    await page.click('#key-prompt button[type="submit"]');
    await page.waitForSelector('#key-prompt', { state: 'hidden' });
    await page.waitForSelector('#badge[data-state="live"]');
    await pricesFilled(page);
    await pricesMove(page);
    expect(await page.isHidden('#message')).toBe(true);
    expect(await page.textContent('#key-control')).toBe('Forget key');
    expect(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE)).toBe(KEY);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain(KEY);
    expect(page.url()).not.toContain(KEY);
    expect(requests.filter((r) => r.url.includes(KEY))).toEqual([]);
    const api = requests.filter((r) => r.url.startsWith(`${keyed.url}/api/`));
    expect(api.at(-1)?.authorization).toBe(`Bearer ${KEY}`);
    // The chart's history came too.
    await page.waitForFunction(() => document.querySelector('#chart')?.getAttribute('data-symbol'));
  });

  it('does not ask again after a reload in the same tab', async () => {
    const asked = refusals.length;
    await page.reload();
    await page.waitForSelector('#badge[data-state="live"]');
    await pricesFilled(page);
    expect(await promptOpen(page)).toBe(false);
    expect(refusals.length).toBe(asked);
  });

  it('forgets the key on request, and then asks again', async () => {
    await page.click('#key-control');
    await page.waitForSelector('#key-prompt[open]');
    expect(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE)).toBeNull();
    expect(await page.textContent('#key-error')).toBe('');
  });

  it('threw no page errors', () => {
    // 401 answers are logged by Chromium as failed resources; script errors are what count here.
    expect(browser.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});
