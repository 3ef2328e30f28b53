// Property-based fuzzing of the Socket.IO protocol: every control event and payload field, unknown
// events, raw Socket.IO packets and handshakes. Whatever a client sends at a fair rate, it gets a
// documented acknowledgement and keeps its connection unless a documented rule closes it.
import fc from 'fast-check';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { INTERVALS, type Subscription } from '../src/contracts';
import { MAX_MESSAGE_BYTES, MAX_PAYLOAD_BYTES } from '../src/streaming/control';
import {
  FUZZ_SEED,
  MiB,
  SYMBOLS,
  ackCode,
  ackErrorProblem,
  check,
  fail,
  note,
  heapUsed,
  hostileKey,
  symbolish,
  textish,
  watchProcess,
  KNOWN_CODES,
  type ProcessWatch,
} from './support/fuzz';
import { connect, startApp, type FakeFeedApp, type TestSocket } from './support/app';

const API_KEY = 'fuzz-key-0123456789abcdef0123456789';
const MAX_SUBSCRIPTIONS = 500;
const ACK_TIMEOUT_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// Payload generators.

const caseVariants = (values: readonly string[]) =>
  fc
    .tuple(fc.constantFrom(...values), fc.constantFrom('as is', 'upper', 'pad'))
    .map(([v, how]) => (how === 'upper' ? v.toUpperCase() : how === 'pad' ? ` ${v} ` : v));

/** A JSON-ish value of any type, for fields that expect something else. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, '', [], {}),
  fc.integer(),
  fc.double({ noNaN: true }),
  textish,
  fc.jsonValue({ maxDepth: 3 }),
);

const symbolsField: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.array(symbolish, { minLength: 1, maxLength: 10 }) },
  { weight: 3, arbitrary: fc.uniqueArray(fc.constantFrom(...SYMBOLS), { minLength: 1 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      [],
      SYMBOLS,
      Array.from({ length: 1000 }, (_, i) => SYMBOLS[i % SYMBOLS.length]),
      Array.from({ length: 1001 }, () => 'AAPL'),
      'AAPL',
      ['AAPL', 1],
      [['AAPL']],
      [null],
      [{}],
      { 0: 'AAPL', length: 1 },
    ),
  },
  { weight: 1, arbitrary: anyValue },
);

const seqValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 0, max: 400 }),
  fc.constantFrom(-1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, '5', null, {}, [], true),
);

const resumeField: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(symbolish, seqValue, { maxKeys: 6 }) },
  {
    weight: 1,
    arbitrary: fc.constant(null).map(() => JSON.parse('{"__proto__": 0, "AAPL": 0}') as unknown),
  },
  { weight: 1, arbitrary: anyValue },
);

/** A subscribe or unsubscribe payload: the documented fields, right or wrong, and stray keys. */
const controlPayload: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      {
        symbols: symbolsField,
        channel: fc.oneof(caseVariants(['ticks', 'candles']), anyValue),
        interval: fc.oneof(caseVariants(INTERVALS), anyValue),
        mode: fc.oneof(caseVariants(['full', 'conflated']), anyValue),
        throttleMs: fc.oneof(
          fc.integer({ min: 0, max: 6000 }),
          fc.constantFrom(49, 50, 5000, 5001, 100.5, '100', 'NaN', 1e308, -1, null, [100]),
        ),
        resume: resumeField,
        encoding: fc.oneof(
          { weight: 3, arbitrary: caseVariants(['json', 'compact']) },
          { weight: 1, arbitrary: fc.constantFrom('msgpack', 'binary', 'JSON', '', 1, [], {}) },
          { weight: 1, arbitrary: anyValue },
        ),
      },
      { requiredKeys: ['symbols'] },
    ),
    fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 6 })), anyValue, { maxKeys: 2 }),
  )
  // Stray keys are set as own properties, `__proto__` included, as JSON.parse would set them.
  .map(([fields, extra]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(extra))
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true });
    return Object.assign(out, fields);
  });

function nested(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 'AAPL';
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { symbols: v };
  return v;
}

/** Payloads that attack the parser and the validator rather than the fields. */
const oddPayload: fc.Arbitrary<unknown> = fc.oneof(
  anyValue,
  // Nested up to FUZZ_DEPTH levels (2000: within 16 KB, and past what a recursive walk survives).
  fc
    .tuple(
      fc.integer({ min: 1, max: Number(process.env.FUZZ_DEPTH ?? 2000) }),
      fc.constantFrom<'array' | 'object'>('array', 'object'),
    )
    .map(([d, k]) => ({ symbols: nested(d, k) })),
  fc.constantFrom(
    JSON.parse('{"symbols":["AAPL"],"__proto__":{"polluted":1}}') as unknown,
    JSON.parse('{"symbols":["AAPL"],"constructor":{"prototype":{"polluted":1}}}') as unknown,
    { symbols: ['AAPL'], pad: 'x'.repeat(MAX_PAYLOAD_BYTES - 40) },
    { symbols: ['AAPL'], pad: 'x'.repeat(MAX_PAYLOAD_BYTES + 100) },
    { symbols: Buffer.from('AAPL') },
    Buffer.from('{"symbols":["AAPL"]}'),
    { symbols: ['AAPL'], resume: { AAPL: Buffer.alloc(4) } },
  ),
);

/** Event names a client may send: the three, near misses, and names of other things. */
const eventName: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('subscribe', 'unsubscribe', 'subscriptions') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'SUBSCRIBE',
      ' subscribe',
      'subscribe ',
      'ticks',
      'candles',
      'notice',
      'error',
      'message',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'x'.repeat(10_000),
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
);

/** Socket.IO's client refuses to send these; the raw packets property sends them. */
const RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

interface Msg {
  event: string;
  /** Arguments before the acknowledgement callback. */
  args: unknown[];
  ack: boolean;
}

const msg: fc.Arbitrary<Msg> = fc.record({
  event: eventName.filter((e) => !RESERVED.has(e)),
  args: fc.oneof(
    { weight: 8, arbitrary: fc.tuple(controlPayload) },
    { weight: 2, arbitrary: fc.tuple(oddPayload) },
    // Not nested ones beside a Buffer: socket.io-client's own binary encoder recurses into them.
    { weight: 1, arbitrary: fc.array(anyValue, { maxLength: 3 }) },
  ),
  ack: fc.oneof(
    { weight: 9, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
});

/** A message as a person replays it: long arrays and strings cut, keys all shown. */
function describeMsg(m: Msg): string {
  const short = JSON.stringify(m.args, (_k, v: unknown) =>
    Array.isArray(v) && v.length > 12
      ? [...(v.slice(0, 6) as unknown[]), `...${v.length} items`]
      : typeof v === 'string' && v.length > 80
        ? `${v.slice(0, 40)}...(${v.length} chars)`
        : v,
  );
  return `${m.event}${m.ack ? '' : ' (no ack)'} ${short.slice(0, 700)}`;
}

// ---------------------------------------------------------------------------------------------
// What acknowledgements must look like.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function subscriptionsProblem(subs: unknown): string | undefined {
  if (!Array.isArray(subs)) return 'subscriptions is not an array';
  if (subs.length > MAX_SUBSCRIPTIONS) return `${subs.length} subscriptions, over the limit`;
  for (const s of subs as unknown[]) {
    if (!isObj(s)) return 'subscription is not an object';
    if (!SYMBOLS.includes(s.symbol as string)) return `subscribed to ${String(s.symbol)}`;
    if (s.channel === 'ticks') {
      if (s.interval !== undefined) return 'ticks subscription with an interval';
      if (!['full', 'conflated'].includes(s.mode as string)) return `mode ${String(s.mode)}`;
      if (s.mode === 'conflated' && !(Number(s.throttleMs) >= 50 && Number(s.throttleMs) <= 5000))
        return `throttleMs ${String(s.throttleMs)}`;
      // JSON, the default, is not named; compact is.
      if (s.encoding !== undefined && s.encoding !== 'compact')
        return `encoding ${String(s.encoding)}`;
    } else if (s.channel === 'candles') {
      if (!(INTERVALS as readonly unknown[]).includes(s.interval))
        return 'candles without interval';
      if (s.encoding !== undefined) return 'candles with an encoding';
    } else return `channel ${String(s.channel)}`;
  }
  return undefined;
}

/** Codes each event may be refused with; anything else is a bug. */
const REFUSALS = new Map<string, readonly string[]>([
  ['subscribe', ['INVALID_PAYLOAD', 'UNKNOWN_SYMBOL', 'LIMIT_EXCEEDED']],
  ['unsubscribe', ['INVALID_PAYLOAD']],
  ['subscriptions', []],
]);

const payloadBytes = (args: unknown[]) => {
  try {
    return Buffer.byteLength(JSON.stringify(args[0]) ?? '');
  } catch {
    return 0;
  }
};

/** The whole Socket.IO message's size, event name and every argument: what the transport limits. */
const messageBytes = (event: string, args: unknown[]) => {
  try {
    return Buffer.byteLength(JSON.stringify([event, ...args]) ?? '') + 16;
  } catch {
    return Infinity;
  }
};

const ENCODING_PROBLEM = "encoding must be 'json' or 'compact'";

/** A subscribe whose `encoding` is neither absent nor one of the two. */
function badEncoding(m: Msg): boolean {
  const req = m.args[0];
  if (m.event !== 'subscribe' || !isObj(req) || !('encoding' in req)) return false;
  return (
    req.encoding !== undefined &&
    req.encoding !== null &&
    !['json', 'compact'].includes(req.encoding as string)
  );
}

function ackProblem(m: Msg, ack: unknown): string | undefined {
  const known = REFUSALS.get(m.event);
  if (isObj(ack) && ack.ok === false) {
    const p = ackErrorProblem(ack);
    if (p) return p;
    const code = ackCode(ack)!;
    if (badEncoding(m)) {
      // The documented refusal names the field (or the payload was refused whole first).
      const problems = ((ack.error as Obj).details as { problems?: string[] } | undefined)
        ?.problems;
      if (
        code !== 'INVALID_PAYLOAD' ||
        !problems?.some((x) => x === ENCODING_PROBLEM || x.startsWith('payload '))
      )
        return `a bad encoding refused without naming it: ${JSON.stringify(ack.error)}`;
    }
    const allowed = known ?? ['INVALID_PAYLOAD']; // unknown events
    return allowed.includes(code) ? undefined : `${m.event} refused with ${code}`;
  }
  if (!known) return `unknown event answered ${JSON.stringify(ack).slice(0, 200)}`;
  if (!isObj(ack) || ack.ok !== true) return `ack neither ok:true nor ok:false`;
  const p = subscriptionsProblem(ack.subscriptions);
  if (p) return p;
  if (m.event === 'subscribe') {
    if (!Array.isArray(ack.snapshot)) return 'snapshot is not an array';
    // An encoding that is not one of the two is refused: never taken, never a crash.
    if (badEncoding(m))
      return `subscribe ok with encoding ${JSON.stringify((m.args[0] as Obj).encoding)}`;
    if (ack.unresumable !== undefined && !Array.isArray(ack.unresumable))
      return 'unresumable is not an array';
    // What was asked for is now followed.
    const req = m.args[0] as Obj;
    const channel = (req.channel as string | undefined) ?? 'ticks';
    for (const raw of req.symbols as string[]) {
      const symbol = raw.trim().toUpperCase();
      const found = (ack.subscriptions as Subscription[]).some(
        (s) =>
          s.symbol === symbol &&
          s.channel === channel &&
          (channel === 'ticks' || s.interval === req.interval) &&
          // A compact subscribe is listed as compact (unless the socket was conflated for slowness).
          (channel !== 'ticks' || (req.encoding === 'compact') === (s.encoding === 'compact')),
      );
      if (!found) return `subscribe ok but ${symbol} ${channel} is not among the subscriptions`;
    }
  }
  if (m.event === 'unsubscribe') {
    const req = m.args[0] as Obj;
    const channel = (req.channel as string | undefined) ?? 'ticks';
    const gone = new Set((req.symbols as string[]).map((s) => s.trim().toUpperCase()));
    const left = (ack.subscriptions as Subscription[]).find(
      (s) =>
        gone.has(s.symbol) &&
        s.channel === channel &&
        (req.interval === undefined || s.interval === req.interval),
    );
    if (left) return `unsubscribe ok but ${left.symbol} ${channel} is still subscribed`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

describe(`Socket fuzzing (e2e, FUZZ_SEED=${FUZZ_SEED})`, () => {
  let sut: FakeFeedApp;
  let watch: ProcessWatch;
  let heapBefore: number;
  let ticking: NodeJS.Timeout;
  let socket: TestSocket;

  const open = () => connect(sut.url, { auth: { token: API_KEY }, reconnection: false });

  beforeAll(async () => {
    watch = watchProcess();
    sut = await startApp(
      {
        FLUSH_MS: '50',
        // Far above the fuzz's own pace: the rate limit is the subject of its own specs.
        CONTROL_RATE: '10000',
        REST_RATE_LIMIT: '0',
        WS_CONNECTIONS_PER_IP: '0',
        WS_HANDSHAKES_PER_IP: '0',
        API_KEYS: API_KEY,
      },
      { fakeFeed: { lagMs: 60_000 } },
    );
    // A minute of history to resume from, then a live feed under the fuzzing.
    sut.catchUp(500);
    // A few symbols only: every symbol's recent-ticks ring (2048 ticks) filling up would
    // otherwise dominate the heap figure below.
    ticking = setInterval(() => ['AAPL', 'BTCUSD', 'EURUSD'].forEach((s) => sut.feed.emit(s)), 50);
    socket = await open();
    heapBefore = heapUsed();
  });

  afterAll(async () => {
    clearInterval(ticking);
    socket?.disconnect();
    watch?.stop();
    await sut?.close();
  });

  it('acknowledges every control message with {ok: true, ...} or {ok: false, error: {code, message}}, and keeps the connection', async () => {
    await check(
      fc.asyncProperty(fc.array(msg, { minLength: 1, maxLength: 4 }), async (msgs) => {
        for (const m of msgs) {
          if (!socket.connected) socket = await open();
          // Over the payload limit: refused, and over the transport's message limit the
          // connection is closed unread (docs/PROTOCOL.md); both may end the connection.
          const oversized =
            payloadBytes(m.args) > MAX_PAYLOAD_BYTES ||
            messageBytes(m.event, m.args) > MAX_MESSAGE_BYTES;
          const emitter = socket as unknown as {
            emit(e: string, ...a: unknown[]): void;
            timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<unknown> };
          };
          let ack: unknown;
          if (m.ack) {
            try {
              ack = await emitter.timeout(ACK_TIMEOUT_MS).emitWithAck(m.event, ...m.args);
            } catch (err) {
              // Documented: a payload over the protocol's limit may close the connection.
              if (oversized && !socket.connected) continue;
              return fail(`no ack (${(err as Error).message}) <- ${describeMsg(m)}`);
            }
            const p = ackProblem(m, ack);
            if (p) return fail(`${p} <- ${describeMsg(m)}`);
          } else {
            emitter.emit(m.event, ...m.args);
            // Nothing answers a message without an ack: give the server time to close the
            // connection over an oversized one, as it may.
            if (oversized) {
              const s = socket;
              await new Promise((resolve) => {
                const timer = setTimeout(resolve, 500);
                s.once('disconnect', () => resolve(clearTimeout(timer)));
              });
            }
          }
          if (oversized && !socket.connected) continue;
          // Still connected, and its subscriptions still make sense.
          let list: unknown;
          try {
            list = await emitter.timeout(ACK_TIMEOUT_MS).emitWithAck('subscriptions');
          } catch (err) {
            return fail(`connection lost (${(err as Error).message}) <- ${describeMsg(m)}`);
          }
          const p =
            isObj(list) && list.ok === true
              ? subscriptionsProblem(list.subscriptions)
              : 'subscriptions refused';
          if (p) return fail(`${p} <- ${describeMsg(m)}`);
        }
      }),
      5000,
    );
  }, 240_000);

  it('survives raw Socket.IO packets (reserved event names, bad JSON, stray acks, bad attachments) and keeps serving others', async () => {
    const packet = fc.oneof(
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom(...RESERVED, 'error', 'subscribe', 'unsubscribe', 'subscriptions'),
            fc.integer(),
            fc.constant(null),
          ),
          fc.array(fc.oneof(controlPayload, oddPayload), { maxLength: 2 }),
          fc.option(fc.nat({ max: 1000 }), { nil: undefined }),
        )
        .map(([e, args, id]) => `42${id ?? ''}${JSON.stringify([e, ...args])}`),
      fc.constantFrom(
        '42',
        '42[',
        '42{}',
        '42[]',
        '42"subscribe"',
        '4299999999999999999999["subscribe",{"symbols":["AAPL"]}]',
        '43',
        '431[]',
        '43999["x"]',
        '41',
        '40',
        '40{"token":1}',
        '44',
        '45',
        '451-["subscribe",{"_placeholder":true,"num":0}]',
        '451-["subscribe",{"_placeholder":true,"num":5}]',
        '451-["subscribe",{"_placeholder":true,"num":"__proto__"}]',
        '459999999-["subscribe",{}]',
        '46',
        '2',
        '3',
        '5',
        '6',
        '9',
        '',
      ),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    );
    await check(
      fc.asyncProperty(fc.array(packet, { minLength: 1, maxLength: 5 }), async (packets) => {
        const ws = new WebSocket(
          `${sut.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
        );
        const frames: string[] = [];
        await new Promise<void>((resolve, reject) => {
          ws.once('error', reject);
          ws.on('message', (data) => {
            const text = data.toString();
            frames.push(text);
            if (text.startsWith('0')) ws.send(`40${JSON.stringify({ token: API_KEY })}`);
            if (text.startsWith('40')) resolve();
          });
        });
        for (const p of packets) ws.send(p);
        await new Promise((r) => setTimeout(r, 30));
        ws.terminate();
        // Whatever acks came back are documented ones.
        for (const f of frames) {
          const m = /^43\d+(.*)$/s.exec(f);
          if (!m) continue;
          const [ack] = JSON.parse(m[1]) as unknown[];
          if (isObj(ack) && ack.ok === false && ackErrorProblem(ack))
            return fail(`${ackErrorProblem(ack)} <- raw ${JSON.stringify(packets).slice(0, 300)}`);
        }
        // The server still serves a well-behaved client.
        if (!socket.connected) socket = await open();
        const list = await (
          socket as unknown as {
            timeout(ms: number): { emitWithAck(e: string): Promise<unknown> };
          }
        )
          .timeout(ACK_TIMEOUT_MS)
          .emitWithAck('subscriptions')
          .catch((err: Error) => err.message);
        if (!isObj(list) || list.ok !== true)
          return fail(
            `server stopped answering: ${String(list)} <- raw ${JSON.stringify(packets).slice(0, 300)}`,
          );
      }),
      600,
    );
  }, 120_000);

  it('answers every handshake with a connection or a connect_error naming a known code', async () => {
    const handshake = fc.record({
      auth: fc.oneof(
        { weight: 4, arbitrary: fc.constant<unknown>({ token: API_KEY }) },
        {
          weight: 2,
          arbitrary: fc.oneof(
            fc.record({ token: anyValue }, { requiredKeys: [] }),
            fc.constantFrom<unknown>(
              { token: `Bearer ${API_KEY}` },
              { token: 'x'.repeat(9000) },
              {},
            ),
          ),
        },
      ),
      query: fc.dictionary(
        fc
          .oneof(hostileKey, fc.constantFrom('token', 'EIO', 'sid'), fc.string({ maxLength: 6 }))
          // socket.io-client's own query encoder calls obj.hasOwnProperty.
          .filter((k) => k !== 'hasOwnProperty'),
        textish,
        { maxKeys: 3 },
      ),
      transport: fc.constantFrom('websocket', 'polling'),
    });
    await check(
      fc.asyncProperty(handshake, async (h) => {
        const s = io(sut.url, {
          transports: [h.transport],
          forceNew: true,
          reconnection: false,
          timeout: ACK_TIMEOUT_MS,
          auth: h.auth as Record<string, unknown>,
          query: h.query,
        });
        const outcome = await new Promise<string | undefined>((resolve) => {
          s.once('connect', () => resolve(undefined));
          s.once('connect_error', (err: Error & { data?: { code?: unknown } }) => {
            const code = err.data?.code;
            // Transport-level failures (no data) are Engine.IO's answers to a bad query.
            if (err.data === undefined) return resolve(undefined);
            resolve(
              typeof code === 'string' && KNOWN_CODES.has(code)
                ? undefined
                : `connect_error without a known data.code: ${err.message} ${JSON.stringify(err.data)}`,
            );
          });
        });
        s.disconnect();
        if (outcome) fail(`${outcome} <- ${JSON.stringify(h).slice(0, 300)}`);
      }),
      400,
    );
  }, 120_000);

  it('leaves no unhandled rejection, uncaught exception or polluted prototype, and a bounded heap', () => {
    expect(watch.problems()).toEqual([]);
    // Generous: the heap holds the test's own garbage and the clients' buffers as well as the
    // server's, and Jest does not always let a GC be forced.
    const grown = heapUsed() - heapBefore;
    note(`heap grew ${(grown / MiB).toFixed(1)} MiB over the run`);
    expect(grown).toBeLessThan(64 * MiB);
  });
});
