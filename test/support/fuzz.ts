// What the fuzz specs share: the seed, hostile values, the checks of the error shapes, and the
// watch on the process (unhandled rejections, uncaught exceptions, prototype pollution, heap).
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ERROR_CODES, type ErrorCode } from '../../src/contracts';
import { CATALOG } from '../../src/instruments/catalog';

/**
 * One seed for every property, so that CI replays the same cases. FUZZ_SEED picks another run;
 * FUZZ_RUNS scales the number of cases (1 by default, 0.2 for a quick look, 5 for a long night).
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const RUNS_SCALE = Number(process.env.FUZZ_RUNS ?? 1);

export function fuzzParams(numRuns: number): fc.Parameters<unknown> {
  return {
    seed: FUZZ_SEED,
    numRuns: Math.max(1, Math.round(numRuns * RUNS_SCALE)),
    // Shrinking replays cases against a live server: keep it short, the first failure says most.
    interruptAfterTimeLimit: 60_000,
    markInterruptAsFailure: false,
  };
}

/**
 * FUZZ_COLLECT=1 runs every case and prints each distinct problem instead of stopping (and
 * shrinking) at the first: a survey of what is wrong, for a person to read (FUZZ_MSG=<chars>
 * shows more of each example).
 */
const COLLECT = process.env.FUZZ_COLLECT === '1';
const collected = new Map<string, { count: number; example: string }>();

/** A figure worth reading in a survey run (FUZZ_COLLECT=1); silent otherwise. */
export function note(message: string): void {
  if (COLLECT) console.log(`FUZZ_SEED=${FUZZ_SEED}: ${message}`);
}

/** Reports a problem found by a property: throws, or records it under FUZZ_COLLECT=1. */
export function fail(message: string): void {
  if (!COLLECT) throw new Error(message);
  // Cases differ in their values; the problem's kind is what is left without digits and quotes.
  const kind = message
    .replace(/ <- .*$/s, '')
    .replace(/[{[].*$/s, '')
    .replace(/\d+/g, '_')
    .slice(0, 160);
  const seen = collected.get(kind);
  if (seen) seen.count++;
  else
    collected.set(kind, {
      count: 1,
      example: message.slice(0, Number(process.env.FUZZ_MSG ?? 600)),
    });
}

/** Runs a property; on failure the message names the seed and path that replay it. */
export async function check<T>(prop: fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
  const details = await fc.check(prop, fuzzParams(numRuns));
  if (COLLECT && collected.size) {
    const lines = [...collected.values()].map((v) => `${v.count} x ${v.example}`);
    collected.clear();
    console.log(`FUZZ_SEED=${FUZZ_SEED}: ${lines.length} kinds of problem\n${lines.join('\n')}`);
  }
  if (details.failed) {
    const error = details.errorInstance;
    let report: string;
    try {
      report = fc.defaultReportMessage(details);
    } catch {
      // fast-check's printer recurses: a payload nested 2000 deep is printed here instead.
      report = `Counterexample: ${String(JSON.stringify(details.counterexample)).slice(0, 2000)}`;
    }
    throw new Error(
      `${report}\nGot: ${error instanceof Error ? error.stack : String(error)}\nReplay: FUZZ_SEED=${FUZZ_SEED} (seed ${details.seed}, path "${details.counterexamplePath}")`,
    );
  }
}

export const KNOWN_CODES = new Set<string>(ERROR_CODES);
export const SYMBOLS = CATALOG.map((e) => e.symbol);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with an ApiErrorBody answered with `status`, or undefined if nothing. */
export function errorBodyProblem(status: number, body: unknown): string | undefined {
  if (!isObject(body)) return `error body is not an object: ${JSON.stringify(body)}`;
  if (body.statusCode !== status) return `statusCode ${String(body.statusCode)} != ${status}`;
  if (typeof body.error !== 'string' || !body.error) return 'error is not a non-empty string';
  if (typeof body.message !== 'string' || !body.message) return 'message is not a non-empty string';
  if (typeof body.code !== 'string' || !KNOWN_CODES.has(body.code))
    return `code ${JSON.stringify(body.code)} is not one of ERROR_CODES`;
  // Bad input is the client's; the server's own failure is never the answer to it.
  if (body.code === 'INTERNAL') return 'INTERNAL answered to client input';
  if (body.code === 'INVALID_PAYLOAD') {
    const problems = isObject(body.details) ? body.details.problems : undefined;
    if (
      problems !== undefined &&
      (!Array.isArray(problems) || !problems.every((p) => typeof p === 'string'))
    )
      return 'details.problems is not a string array';
  }
  return undefined;
}

/** What is wrong with a socket acknowledgement's error, or undefined if nothing. */
export function ackErrorProblem(ack: unknown): string | undefined {
  if (!isObject(ack)) return `ack is not an object: ${JSON.stringify(ack)}`;
  if (ack.ok !== false) return `ack.ok is ${JSON.stringify(ack.ok)}, expected false`;
  const error = ack.error;
  if (!isObject(error)) return 'ack.error is not an object';
  if (typeof error.code !== 'string' || !KNOWN_CODES.has(error.code))
    return `ack.error.code ${JSON.stringify(error.code)} is not one of ERROR_CODES`;
  if (error.code === 'INTERNAL') return 'INTERNAL answered to client input';
  if (typeof error.message !== 'string' || !error.message) return 'ack.error.message is empty';
  return undefined;
}

export function ackCode(ack: unknown): ErrorCode | undefined {
  return isObject(ack) && isObject(ack.error) ? (ack.error.code as ErrorCode) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Hostile values. Each is a string as a query parameter carries it; the socket specs also use
// the typed ones.

const LONG = 'A'.repeat(5_000);

/** Symbols as clients get them wrong: case, whitespace, unknown, odd characters, too long. */
export const symbolish: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SYMBOLS) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...SYMBOLS),
        fc.constantFrom('', ' ', '\t', '\n', '\u00a0', '\u200b', '  '),
        fc.boolean(),
      )
      .map(([s, pad, lower]) => `${pad}${lower ? s.toLowerCase() : s}${pad}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'NOPE',
      'AAPL,MSFT',
      'AAPL;DROP TABLE ticks',
      "AAPL' OR '1'='1",
      '../../etc/passwd',
      '%00',
      '\u0000',
      'ＡＡＰＬ',
      'aapl\u0301',
      'İ',
      'ß',
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'A'.repeat(32),
      'A'.repeat(33),
      LONG,
      '😀',
      '\ud800',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

const isoDate = fc
  .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Times: epoch ms near and far, ISO-8601 right and wrong, offsets, impossible dates. */
export const timeish: fc.Arbitrary<string> = fc.oneof(
  isoDate,
  isoDate.map((s) => s.slice(0, 10)),
  isoDate.map((s) => s.replace('Z', '+14:00')),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
  fc.integer({ min: -10 * 86_400_000, max: 10 * 86_400_000 }).map((d) => String(Date.now() + d)),
  fc.constantFrom(
    '0',
    '-1',
    '8640000000000000',
    '8640000000000001',
    '9007199254740993',
    '9999999999999999',
    '99999999999999999',
    '0000-01-01',
    '9999-12-31T23:59:59.999999999Z',
    '2026-02-29',
    '2024-02-29',
    '2026-02-30',
    '2026-13-01',
    '2026-00-10',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01 10:00',
    '2026-01-01t10:00z',
    '2026-01-01T10:00:00+99:99',
    '2026-01-01T10:00:00-0000',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '1e12',
    '0x1F',
    'NaN',
    'Infinity',
    '-Infinity',
    'null',
    'undefined',
    'yesterday',
    'now',
    '',
    ' ',
  ),
);

/** Numbers as strings: huge, negative, fractional, exponent, hex, padded, not numbers at all. */
export const numberish: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -10, max: 6_000 }).map(String),
  fc.constantFrom('1', '5000', '5001', '0', '-0', '+5', ' 5 ', '05', '1.0', '1.5', '1e3', '0x10'),
  fc.double().map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.constantFrom('NaN', 'Infinity', '', 'true', '[]', '{}', '١٢٣'),
);

/** Any text at all, from empty to long, ASCII to astral planes and lone surrogates. */
export const textish: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', LONG, 'x'.repeat(100), 'x'.repeat(101), '%', '%%', '\u0000', '\r\n'),
);

/** Keys that attack the parser or the object they land in rather than the API. */
export const hostileKey: fc.Arbitrary<string> = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'polluted',
);

// ---------------------------------------------------------------------------------------------
// The watch on the process.

/** Everything a fuzz run must not leave behind: escaped errors and properties on Object.prototype. */
export interface ProcessWatch {
  readonly escaped: string[];
  /** Problems found since start: escaped errors and a polluted Object.prototype. */
  problems(): string[];
  stop(): void;
}

/**
 * Counts unhandled rejections and uncaught exceptions of the real process. Jest gives a spec a
 * copy of `process` whose listeners never fire; the main context's `process` is the one Node
 * reports to.
 */
export function watchProcess(): ProcessWatch {
  const real = vm.runInThisContext('process') as NodeJS.Process;
  const escaped: string[] = [];
  const onRejection = (reason: unknown) =>
    escaped.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  const onException = (err: Error) => escaped.push(`uncaughtException: ${err.stack}`);
  real.on('unhandledRejection', onRejection);
  real.on('uncaughtException', onException);
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
  return {
    escaped,
    problems() {
      const out = [...escaped];
      const protoNow = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
      if (protoNow !== protoBefore) out.push(`Object.prototype changed: ${protoNow}`);
      if (({} as Record<string, unknown>).polluted !== undefined) out.push('{}.polluted is set');
      return out;
    },
    stop() {
      real.off('unhandledRejection', onRejection);
      real.off('uncaughtException', onException);
    },
  };
}

let gc: (() => void) | undefined;
/**
 * Heap in use after a full collection when one can be forced. Jest exposes no `gc`; the V8 flag
 * set at run time makes it reachable from a new context. Without it the figure includes garbage,
 * which the specs' generous bounds allow for.
 */
export function heapUsed(): number {
  if (!gc) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = () => undefined;
    }
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export const MiB = 1024 * 1024;
