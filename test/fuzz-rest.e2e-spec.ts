// Property-based fuzzing of every REST route, query parameter, path parameter and the headers
// the API reads: whatever a client sends, the answer is a documented shape and never a 5xx.
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import {
  ASSET_CLASSES,
  INTERVAL_MS,
  INTERVALS,
  bucketStart,
  type Interval,
} from '../src/contracts';
import { parseTimeParam } from '../src/common/time-param';
import {
  FUZZ_SEED,
  MiB,
  SYMBOLS,
  check,
  errorBodyProblem,
  fail,
  note,
  heapUsed,
  hostileKey,
  numberish,
  symbolish,
  textish,
  timeish,
  watchProcess,
  type ProcessWatch,
} from './support/fuzz';
import { startApp, type FakeFeedApp } from './support/app';

/** A credential the fuzz app accepts, so that once keys are enforced most cases get past them. */
const API_KEY = 'fuzz-key-0123456789abcdef0123456789';

type Route =
  | 'instruments'
  | 'instrument'
  | 'quotes'
  | 'candles'
  | 'latest'
  | 'health'
  | 'live'
  | 'ready'
  | 'cluster'
  | 'metrics'
  | 'docs-json'
  | 'unknown'
  | 'engine';

/** Each route's documented query parameters. */
const PARAMS: Record<Route, readonly string[]> = {
  instruments: ['assetClass', 'q'],
  instrument: [],
  quotes: ['from', 'to', 'limit', 'cursor'],
  candles: ['interval', 'from', 'to', 'limit'],
  latest: ['symbols'],
  health: [],
  live: [],
  ready: [],
  cluster: [],
  metrics: [],
  'docs-json': [],
  unknown: [],
  engine: ['EIO', 'transport', 'sid', 't'],
};

interface RestCase {
  method: string;
  route: Route;
  symbol: string;
  /** Query pairs in order; a key may repeat. */
  query: Array<[string, string]>;
  /** Percent-encoding fragments spliced in as they are (malformed escapes, separators). */
  raw: string;
  headers: Record<string, string>;
  body?: string;
}

// ---------------------------------------------------------------------------------------------
// Cursors: real ones (captured once the app runs), edited ones and forged ones.

const realCursors: string[] = [];

/** A cursor signed as this server signed them with its built-in key before CURSOR_SECRET. */
function forge(fields: unknown): string {
  const body = Buffer.from(JSON.stringify(fields)).toString('base64url');
  const sig = createHmac('sha256', 'tickerboard-cursor-v1')
    .update(body)
    .digest('base64url')
    .slice(0, 16);
  return `${body}.${sig}`;
}

const cursorField: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 63, 1.5, null, '', '1', []),
  fc.string({ maxLength: 10 }),
);

const cursorish: fc.Arbitrary<string> = fc.oneof(
  fc.constant(null).map(() => realCursors[0] ?? 'none'),
  fc
    .tuple(fc.nat(), fc.nat(), fc.constantFrom('flip', 'cut', 'append', 'dot', 'case', 'twice'))
    .map(([i, j, how]) => {
      const c = realCursors[i % Math.max(1, realCursors.length)] ?? 'abc.def';
      const at = j % c.length;
      switch (how) {
        case 'flip':
          return c.slice(0, at) + (c[at] === 'A' ? 'B' : 'A') + c.slice(at + 1);
        case 'cut':
          return c.slice(0, at);
        case 'append':
          return `${c}.x`;
        case 'dot':
          return c.replace('.', '');
        case 'case':
          return c.toUpperCase();
        default:
          return `${c}${c}`;
      }
    }),
  fc
    .tuple(fc.oneof(fc.constantFrom(...SYMBOLS), symbolish), cursorField, cursorField, cursorField)
    .map((fields) => forge(fields)),
  fc.array(cursorField, { maxLength: 6 }).map((fields) => forge(fields)),
  fc.jsonValue({ maxDepth: 2 }).map((v) => forge(v)),
  textish,
  fc.constant('x'.repeat(600)),
);

// ---------------------------------------------------------------------------------------------
// Generators.

const caseVariants = (values: readonly string[]) =>
  fc
    .tuple(fc.constantFrom(...values), fc.constantFrom('as is', 'upper', 'pad', 'title'))
    .map(([v, how]) =>
      how === 'upper'
        ? v.toUpperCase()
        : how === 'pad'
          ? ` ${v} `
          : how === 'title'
            ? v.charAt(0).toUpperCase() + v.slice(1)
            : v,
    );

const symbolsList: fc.Arbitrary<string> = fc.oneof(
  fc.array(symbolish, { maxLength: 8 }).map((s) => s.join(',')),
  fc.array(fc.constantFrom(...SYMBOLS), { minLength: 1, maxLength: 1000 }).map((s) => s.join(',')),
  fc.constantFrom(',', ',,,', ' , ', 'AAPL,', ',AAPL', 'AAPL,,MSFT', 'A'.repeat(4001)),
  textish,
);

function valueFor(key: string): fc.Arbitrary<string> {
  switch (key) {
    case 'from':
    case 'to':
      return timeish;
    case 'limit':
      return numberish;
    case 'cursor':
      return cursorish;
    case 'interval':
      return fc.oneof(
        caseVariants(INTERVALS),
        fc.constantFrom('2m', '1w', '1M', '0s', ''),
        textish,
      );
    case 'assetClass':
      return fc.oneof(caseVariants(ASSET_CLASSES), textish);
    case 'q':
      return textish;
    case 'symbols':
      return symbolsList;
    case 'EIO':
      return fc.constantFrom('4', '3', '5', '', 'x');
    case 'transport':
      return fc.constantFrom('polling', 'websocket', 'webtransport', '', 'x');
    default:
      return fc.oneof(textish, numberish, timeish);
  }
}

function queryFor(route: Route): fc.Arbitrary<Array<[string, string]>> {
  const known = PARAMS[route];
  const key = fc.oneof(
    ...(known.length ? [{ weight: 6, arbitrary: fc.constantFrom(...known) }] : []),
    { weight: 1, arbitrary: hostileKey },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.string({ maxLength: 8 }),
        ...(known.length ? [fc.constantFrom(...known).map((k) => `${k}[]`)] : []),
        ...(known.length ? [fc.constantFrom(...known).map((k) => k.toUpperCase())] : []),
      ),
    },
  );
  const pair = key.chain((k) => valueFor(k).map((v): [string, string] => [k, v]));
  return fc.array(pair, { maxLength: 6 });
}

/** Header values as Node lets a client send them (no CR, LF or other controls). */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

const headersArb: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      authorization: fc.oneof(
        { weight: 8, arbitrary: fc.constant(`Bearer ${API_KEY}`) },
        {
          weight: 2,
          arbitrary: fc.oneof(
            fc.constantFrom(
              'Bearer',
              'Bearer ',
              `bearer ${API_KEY}`,
              `Bearer  ${API_KEY}`,
              `Bearer ${API_KEY} x`,
              `Bearer ${API_KEY.slice(0, -1)}`,
              API_KEY,
              'Basic Zm9vOmJhcg==',
              'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
              'Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo',
              `Bearer ${'x'.repeat(8000)}`,
            ),
            textish.map((s) => `Bearer ${headerSafe(s)}`),
          ),
        },
      ),
      'if-none-match': fc.oneof(
        fc.constantFrom('*', 'W/"x"', '"a", "b"', '', ','),
        textish.map(headerSafe),
      ),
      origin: fc.constantFrom(
        'http://localhost:3000',
        'http://127.0.0.1',
        'https://evil.example',
        'null',
        'http://localhost.evil.example',
        'file://',
        '*',
      ),
      'x-forwarded-for': fc.oneof(
        fc.constantFrom('1.2.3.4', '1.2.3.4, 5.6.7.8', '::1', 'unknown', '999.999.1.1', ''),
        textish.map(headerSafe),
      ),
      'x-request-id': textish.map(headerSafe),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml', ''),
    },
    { requiredKeys: [] },
  )
  .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)));

/** Fragments spliced into the path or the query string as they are. */
const rawFragment = fc.constantFrom(
  '',
  '',
  '',
  '&',
  '&&',
  '=',
  '==&=',
  '%',
  '%zz',
  '%00',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '+',
  ';',
  '[]=1',
  '&limit',
  '&from=&to=',
  '%2F..%2F..',
);

const routeArb: fc.Arbitrary<Route> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Route>('instruments') },
  { weight: 3, arbitrary: fc.constant<Route>('instrument') },
  { weight: 8, arbitrary: fc.constant<Route>('quotes') },
  { weight: 8, arbitrary: fc.constant<Route>('candles') },
  { weight: 4, arbitrary: fc.constant<Route>('latest') },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Route>(
      'health',
      'live',
      'ready',
      'cluster',
      'metrics',
      'docs-json',
      'unknown',
      'engine',
    ),
  },
);

const restCase: fc.Arbitrary<RestCase> = routeArb.chain((route) =>
  fc.record({
    method: fc.oneof(
      { weight: 20, arbitrary: fc.constant('GET') },
      {
        weight: 3,
        arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH'),
      },
    ),
    route: fc.constant(route),
    symbol: symbolish,
    query: queryFor(route),
    raw: rawFragment,
    headers: headersArb,
    body: fc.option(
      fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.constantFrom('{', '{"__proto__":{"polluted":1}}', '[]', 'null', 'x'.repeat(70_000)),
      ),
      { nil: undefined },
    ),
  }),
);

// ---------------------------------------------------------------------------------------------
// Sending.

/** Percent-encodes every byte outside RFC 3986's unreserved set, lone surrogates included. */
function enc(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function pathOf(c: RestCase): string {
  const s = enc(c.symbol) + (c.route === 'instrument' ? c.raw : '');
  const base: Record<Route, string> = {
    instruments: '/api/instruments',
    instrument: `/api/instruments/${s}`,
    quotes: `/api/instruments/${s}/quotes`,
    candles: `/api/instruments/${s}/candles`,
    latest: '/api/quotes/latest',
    health: '/api/health',
    live: '/api/health/live',
    ready: '/api/health/ready',
    cluster: '/api/cluster',
    metrics: '/api/metrics',
    'docs-json': '/api/docs-json',
    unknown: `/api/${s}`,
    engine: '/socket.io/',
  };
  const query = c.query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  const tail = c.route === 'instrument' ? '' : c.raw;
  return query || tail ? `${base[c.route]}?${query}${tail}` : base[c.route];
}

/** The case as a person replays it: method, path, headers and body, long values cut. */
function describeCase(c: RestCase): string {
  const headers = Object.entries(c.headers).map(([k, v]) => `${k}: ${v.slice(0, 60)}`);
  const body = c.body === undefined ? '' : ` body(${c.body.length}): ${c.body.slice(0, 60)}`;
  return `${c.method} ${pathOf(c).slice(0, 300)} [${headers.join(' | ')}]${body}`;
}

/** The body of a chunked HTTP/1.1 answer. */
function unchunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const m = /^([0-9a-f]+)\r\n/i.exec(rest);
    if (!m || m[1] === '0') return out;
    const size = parseInt(m[1], 16);
    out += rest.slice(m[0].length, m[0].length + size);
    rest = rest.slice(m[0].length + size + 2);
  }
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

// A connection per request: a server may close a connection after refusing a request's body,
// and a kept-alive socket reused in that instant would hang up on the next, innocent case.
const agent = new http.Agent({ keepAlive: false });

function send(port: number, c: RestCase, path = pathOf(c)): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...c.headers };
    const body = c.body !== undefined && !['GET', 'HEAD'].includes(c.method) ? c.body : undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      // Node frames a DELETE or OPTIONS body by nothing else: without it the server would read
      // the body as the next request.
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const req = http.request(
      { host: '127.0.0.1', port, method: c.method, path, headers, agent, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within 10 s: ${c.method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// What a successful answer must look like.

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function instrumentProblem(i: unknown): string | undefined {
  if (!isObj(i)) return 'instrument is not an object';
  if (!SYMBOLS.includes(i.symbol as string)) return `unknown symbol ${String(i.symbol)}`;
  if (!(ASSET_CLASSES as readonly unknown[]).includes(i.assetClass)) return 'bad assetClass';
  for (const k of ['name', 'currency', 'exchange'])
    if (typeof i[k] !== 'string') return `${k} not a string`;
  if (!isNum(i.tickSize) || !isInt(i.pricePrecision)) return 'bad tickSize/pricePrecision';
  return undefined;
}

function tickProblem(t: unknown, symbol: string): string | undefined {
  if (!isObj(t)) return 'tick is not an object';
  if (t.symbol !== symbol) return `tick of ${String(t.symbol)} in ${symbol}'s answer`;
  if (!isInt(t.seq) || t.seq < 1 || !isInt(t.ts)) return 'bad seq/ts';
  for (const k of ['bid', 'ask', 'bidSize', 'askSize', 'last', 'size', 'volume'])
    if (!isNum(t[k])) return `${k} is not a number`;
  return undefined;
}

function snapshotProblem(s: unknown): string | undefined {
  if (!isObj(s)) return 'snapshot is not an object';
  const p = tickProblem(s, s.symbol as string);
  if (p) return p;
  for (const k of ['open', 'high', 'low', 'prevClose', 'change', 'changePct'])
    if (!isNum(s[k])) return `${k} is not a number`;
  return undefined;
}

/** One value of a parameter given once, or undefined (absent or repeated). */
function single(c: RestCase, key: string): string | undefined {
  const values = c.query.filter(([k]) => k === key);
  return values.length === 1 && !c.raw.includes(key) ? values[0][1] : undefined;
}

/** The ECMAScript time range: a time parameter outside it names no instant. */
const MAX_TIME_MS = 8.64e15;

function successProblem(c: RestCase, body: unknown): string | undefined {
  if (!isObj(body)) return 'body is not an object';
  for (const key of ['from', 'to']) {
    const value = single(c, key)?.trim();
    if (value !== undefined && /^\d+$/.test(value) && Number(value) > MAX_TIME_MS)
      return `${key}=${value} accepted, past the last instant a date can name`;
  }
  // An empty symbol leaves /api/instruments/, the list (a trailing slash is ignored).
  const route =
    c.route === 'instrument' && enc(c.symbol) === '' && !c.raw ? 'instruments' : c.route;
  switch (route) {
    case 'instruments': {
      if (!Array.isArray(body.instruments)) return 'instruments is not an array';
      for (const i of body.instruments) {
        const p = instrumentProblem(i);
        if (p) return p;
      }
      const assetClass = single(c, 'assetClass');
      if (assetClass !== undefined && !c.raw) {
        const wrong = (body.instruments as Obj[]).find(
          (i) => i.assetClass !== assetClass.toLowerCase(),
        );
        if (wrong) return `assetClass=${assetClass} answered ${String(wrong.symbol)}`;
      }
      return undefined;
    }
    case 'instrument': {
      const p = instrumentProblem(body);
      if (p) return p;
      if (body.quote !== null) return snapshotProblem(body.quote);
      return undefined;
    }
    case 'quotes': {
      if (typeof body.symbol !== 'string' || !SYMBOLS.includes(body.symbol)) return 'bad symbol';
      if (!Array.isArray(body.quotes) || body.quotes.length > 5000) return 'bad quotes array';
      if (body.nextCursor !== null && typeof body.nextCursor !== 'string') return 'bad nextCursor';
      let last = 0;
      for (const t of body.quotes) {
        const p = tickProblem(t, body.symbol);
        if (p) return p;
        const seq = (t as Obj).seq as number;
        if (seq <= last) return 'quotes not ascending by seq';
        last = seq;
      }
      if (typeof body.nextCursor === 'string') realCursors.push(body.nextCursor);
      // The range the parameters asked for (a cursor carries its own).
      if (c.query.some(([k]) => k === 'cursor') || c.raw) return undefined;
      const from = parseTimeParam(single(c, 'from'));
      const to = parseTimeParam(single(c, 'to'));
      const outside = (body.quotes as Obj[]).find(
        (t) =>
          (Number.isFinite(from) && (t.ts as number) < from) ||
          (Number.isFinite(to) && (t.ts as number) >= to),
      );
      return outside ? `tick at ${String(outside.ts)} outside [${from}, ${to})` : undefined;
    }
    case 'candles': {
      if (typeof body.symbol !== 'string' || !SYMBOLS.includes(body.symbol)) return 'bad symbol';
      if (!INTERVALS.includes(body.interval as Interval)) return 'bad interval';
      const interval = body.interval as Interval;
      if (!Array.isArray(body.candles) || body.candles.length > 5000) return 'bad candles array';
      let last = -Infinity;
      for (const k of body.candles) {
        if (!isObj(k)) return 'candle is not an object';
        const { t, o, h, l, c: close, v, n } = k;
        if (!isInt(t) || bucketStart(t, interval) !== t)
          return `t ${String(t)} not aligned to ${interval} (${INTERVAL_MS[interval]} ms)`;
        if (t <= last) return 'candles not ascending by t';
        last = t;
        if (![o, h, l, close, v].every(isNum) || !isInt(n)) return 'candle field not a number';
        if (!((l as number) <= Math.min(o as number, close as number))) return 'l > o or c';
        if (!((h as number) >= Math.max(o as number, close as number))) return 'h < o or c';
      }
      return undefined;
    }
    case 'latest': {
      if (!Array.isArray(body.quotes)) return 'quotes is not an array';
      for (const s of body.quotes) {
        const p = snapshotProblem(s);
        if (p) return p;
      }
      return undefined;
    }
    case 'health':
    case 'live':
      return body.status === 'ok' ? undefined : 'status is not ok';
    case 'ready':
      return ['ready', 'not-ready'].includes(body.status as string) && Array.isArray(body.waiting)
        ? undefined
        : 'bad readiness body';
    case 'cluster':
      return ['single', 'cluster'].includes(body.mode as string) && Array.isArray(body.nodes)
        ? undefined
        : 'bad cluster body';
    case 'docs-json':
      return typeof body.openapi === 'string' ? undefined : 'not an OpenAPI document';
    default:
      return undefined;
  }
}

/** Everything wrong with an answer to `c`, as one line, or undefined. */
function answerProblem(c: RestCase, a: Answer): string | undefined {
  // The readiness probe's 503 is its documented answer while the node is not ready.
  if (a.status >= 500 && !(c.route === 'ready' && a.status === 503))
    return `${a.status} ${a.text.slice(0, 300)}`;
  const hasBody = c.method !== 'HEAD' && a.status !== 204 && a.status !== 304;
  if (c.route === 'engine') return undefined; // Engine.IO's own handshake answers, not the API's.
  if (a.status === 304) {
    return c.route === 'candles' && 'if-none-match' in c.headers && a.text === ''
      ? undefined
      : 'unexpected 304';
  }
  if (a.status >= 300 && a.status < 400) return `unexpected redirect ${a.status}`;
  if (!hasBody) return undefined;
  if (c.route === 'metrics' && a.status === 200) {
    return a.text.includes('# HELP') ? undefined : 'metrics body is not Prometheus text';
  }
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return `body is not JSON (${a.status}, ${String(a.headers['content-type'])}): ${a.text.slice(0, 200)}`;
  }
  // Not ready (e.g. right after an event-loop stall of this busy test process): the probe's
  // own body, with its reasons, not the error shape.
  if (c.route === 'ready' && a.status === 503 && c.method === 'GET') {
    const p = successProblem(c, body);
    return p ? `503: ${p}` : undefined;
  }
  if (a.status >= 400) {
    const p = errorBodyProblem(a.status, body);
    return p ? `${a.status}: ${p}: ${a.text.slice(0, 300)}` : undefined;
  }
  if (c.method !== 'GET') return undefined;
  const p = successProblem(c, body);
  return p ? `${a.status}: ${p}` : undefined;
}

// ---------------------------------------------------------------------------------------------

describe(`REST fuzzing (e2e, FUZZ_SEED=${FUZZ_SEED})`, () => {
  let sut: FakeFeedApp;
  let watch: ProcessWatch;
  let heapBefore: number;

  beforeAll(async () => {
    watch = watchProcess();
    sut = await startApp(
      {
        FLUSH_MS: '50',
        REST_RATE_LIMIT: '0',
        WS_CONNECTIONS_PER_IP: '0',
        WS_HANDSHAKES_PER_IP: '0',
        API_KEYS: API_KEY,
      },
      { fakeFeed: { lagMs: 120_000 } },
    );
    // Two minutes of every symbol, a tick per 500 ms: pages, cursors and settled candles to read.
    sut.catchUp(500);
    await new Promise((r) => setTimeout(r, 200));
    for (const symbol of ['AAPL', 'BTCUSD']) {
      const page = await send(sut.port, {
        method: 'GET',
        route: 'quotes',
        symbol,
        query: [
          ['from', '0'],
          ['limit', '3'],
        ],
        raw: '',
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      const cursor = (JSON.parse(page.text) as { nextCursor: string | null }).nextCursor;
      if (cursor) realCursors.push(cursor);
    }
    expect(realCursors).toHaveLength(2);
    heapBefore = heapUsed();
  });

  afterAll(async () => {
    agent.destroy();
    watch?.stop();
    await sut?.close();
  });

  it('answers every request with a documented shape: never a 5xx, every 4xx an ApiErrorBody with a known code, every 2xx its route shape', async () => {
    await check(
      fc.asyncProperty(restCase, async (c) => {
        // Node's errors come from another realm than the spec's: no instanceof Error here.
        const answer = await send(sut.port, c).catch((err: Error) => ({ error: err.message }));
        if ('error' in answer) return fail(`no answer: ${answer.error} <- ${describeCase(c)}`);
        const problem = answerProblem(c, answer);
        if (problem) fail(`${problem} <- ${describeCase(c)}`);
      }),
      15000,
    );
  }, 240_000);

  it('answers valid parameters near their limits with 200 and the documented page', async () => {
    const now = Date.now();
    const near = fc.record({
      route: fc.constantFrom<Route>('quotes', 'candles'),
      symbol: fc.constantFrom(...SYMBOLS),
      interval: fc.constantFrom(...INTERVALS),
      limit: fc.constantFrom(1, 2, 4999, 5000),
      from: fc.option(fc.integer({ min: 0, max: now }), { nil: undefined }),
      span: fc.integer({ min: 1, max: 400 * 86_400_000 }),
    });
    await check(
      fc.asyncProperty(near, async (p) => {
        const query: Array<[string, string]> = [['limit', String(p.limit)]];
        if (p.route === 'candles') query.push(['interval', p.interval]);
        if (p.from !== undefined) {
          query.push(['from', String(p.from)]);
          query.push(['to', new Date(Math.min(p.from + p.span, 8.64e15)).toISOString()]);
        }
        const c: RestCase = {
          method: 'GET',
          route: p.route,
          symbol: p.symbol.toLowerCase(),
          query,
          raw: '',
          headers: { authorization: `Bearer ${API_KEY}` },
        };
        const answer = await send(sut.port, c);
        if (answer.status !== 200)
          return fail(`${answer.status} ${answer.text.slice(0, 300)} <- ${pathOf(c)}`);
        const problem = answerProblem(c, answer);
        if (problem) return fail(`${problem} <- ${pathOf(c)}`);
        const body = JSON.parse(answer.text) as { quotes?: unknown[]; candles?: unknown[] };
        if ((body.quotes ?? body.candles ?? []).length > p.limit)
          fail(`more than limit=${p.limit} rows <- ${pathOf(c)}`);
      }),
      1000,
    );
  }, 120_000);

  it('answers malformed HTTP with a 4xx ApiErrorBody or a closed connection, never a 5xx', async () => {
    const head = (extra: string) => `GET /api/instruments HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
    const malformed = fc.oneof(
      fc.constantFrom(
        head(`X-Big: ${'a'.repeat(20_000)}\r\n`),
        `GET /api/quotes/latest?symbols=${'A'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        'null\r\n\r\n',
        'GET /api/instruments HTTP/9.9\r\nHost: x\r\n\r\n',
        'GET /api/instruments\r\n\r\n',
        head('Content-Length: -1\r\n'),
        head('Content-Length: 1\r\nContent-Length: 2\r\n'),
        head('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n'),
        'POST /api/instruments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        head('Bad Header\r\n'),
        head('X: \u0001\r\n'),
        'GET /api/instruments HTTP/1.1\r\n\r\n',
      ),
      fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `${s}\r\n\r\n`),
    );
    await check(
      fc.asyncProperty(malformed, async (text) => {
        const reply = await new Promise<string>((resolve) => {
          const socket = net.connect(sut.port, '127.0.0.1', () => socket.end(text));
          let out = '';
          socket.setTimeout(5_000, () => socket.destroy());
          socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
          socket.on('close', () => resolve(out));
          socket.on('error', () => undefined);
        });
        if (reply === '') return; // closed without an answer: nothing was parsed
        const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n(.*?)\r\n\r\n(.*)$/s.exec(reply);
        if (!m)
          return fail(
            `not an HTTP answer: ${reply.slice(0, 200)} <- ${JSON.stringify(text.slice(0, 200))}`,
          );
        const status = Number(m[1]);
        // The first answer only: a request's leftover bytes may get an answer of their own.
        const length = /^content-length: *(\d+)$/im.exec(m[2]);
        const text1 = length
          ? m[3].slice(0, Number(length[1]))
          : /^transfer-encoding: *chunked$/im.test(m[2])
            ? unchunk(m[3])
            : m[3];
        if (status >= 500) return fail(`${status} <- ${JSON.stringify(text.slice(0, 200))}`);
        if (status < 400) return;
        let body: unknown;
        try {
          body = JSON.parse(text1);
        } catch {
          return fail(
            `${status} body is not JSON: ${text1.slice(0, 200)} <- ${JSON.stringify(text.slice(0, 200))}`,
          );
        }
        const p = errorBodyProblem(status, body);
        if (p)
          fail(`${status}: ${p}: ${text1.slice(0, 200)} <- ${JSON.stringify(text.slice(0, 120))}`);
      }),
      300,
    );
  }, 60_000);

  it('leaves no unhandled rejection, uncaught exception or polluted prototype, and a bounded heap', () => {
    expect(watch.problems()).toEqual([]);
    // Generous: the heap holds the test's own garbage and the candle page cache (up to 64 MB),
    // which a GC cannot always be forced to clear under Jest.
    const grown = heapUsed() - heapBefore;
    note(`heap grew ${(grown / MiB).toFixed(1)} MiB over the run`);
    expect(grown).toBeLessThan(128 * MiB);
  });
});
