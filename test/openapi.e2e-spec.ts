// The OpenAPI document tells the truth: every documented GET route, called for real, answers with
// exactly its documented schema (no missing, mistyped or undocumented fields), errors included.
import Ajv, { type ValidateFunction } from 'ajv';
import request from 'supertest';
import { bucketStart } from '../src/contracts';
import { startApp, type TestApp } from './support/app';

type Schema = { [key: string]: unknown };
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
interface Response {
  description?: string;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  parameters?: Parameter[];
  responses: Record<string, Response>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const DOC_ID = 'openapi';

/**
 * An OpenAPI 3.0 schema as strict JSON Schema: `nullable` becomes a null alternative, references
 * point into the registered document, and an object with properties rejects any it does not list.
 */
function strict(schema: Schema): Schema {
  const { nullable, ...rest } = schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) {
      out.$ref = `${DOC_ID}${value}`;
    } else if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, s]) => [name, strict(s)]),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = typeof value === 'object' && value !== null ? strict(value as Schema) : value;
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = (value as Schema[]).map(strict);
    } else {
      out[key] = value;
    }
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (nullable !== true) return out;
  // Swagger writes a nullable reference as {type: 'object', nullable, allOf: [{$ref}]}.
  const { description, ...nonNull } = out;
  return { ...(description ? { description } : {}), anyOf: [nonNull, { type: 'null' }] };
}

/** Paths of the arrays in `value` that are empty (nothing in them was checked against a schema). */
function emptyArrays(value: unknown, at = '$'): string[] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [at] : value.flatMap((v, i) => emptyArrays(v, `${at}[${i}]`));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => emptyArrays(v, `${at}.${k}`));
  }
  return [];
}

describe('OpenAPI document (e2e)', () => {
  let sut: TestApp;
  let doc: OpenApiDocument;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validators = new Map<Schema, ValidateFunction>();

  beforeAll(async () => {
    sut = await startApp({ TICK_RATE: '2000', FLUSH_MS: '100' });
    doc = (await request(sut.url).get('/api/docs-json').expect(200)).body as OpenApiDocument;
    const schemas = Object.fromEntries(
      Object.entries(doc.components?.schemas ?? {}).map(([name, s]) => [name, strict(s)]),
    );
    ajv.addSchema({ $id: DOC_ID, components: { schemas } });
    // Ticks, snapshots and candles for every array checked below.
    await new Promise((r) => setTimeout(r, 2000));
  });
  afterAll(() => sut?.close());

  /** The documented schema of `status` for GET `template`, as [content type, validator]. */
  function documented(template: string, status: number): [string, ValidateFunction] {
    const op = doc.paths[template]?.get;
    if (!op) throw new Error(`GET ${template} is not documented`);
    const response = op.responses[String(status)];
    if (!response) throw new Error(`GET ${template} does not document status ${status}`);
    const [[type, media]] = Object.entries(response.content ?? { none: {} });
    if (!media.schema)
      throw new Error(`GET ${template} ${status} has no schema, only a description`);
    let validate = validators.get(media.schema);
    if (!validate) {
      validate = ajv.compile(strict(media.schema));
      validators.set(media.schema, validate);
    }
    return [type, validate];
  }

  /** Calls GET `template` (path parameters filled in, then `query`) and checks it against its docs. */
  async function check(template: string, query = '', status = 200): Promise<unknown> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (!(name in PATH_SAMPLES)) throw new Error(`no sample value for {${name}} of ${template}`);
      return PATH_SAMPLES[name];
    });
    const [type, validate] = documented(template, status);
    const res = await request(sut.url).get(`${path}${query}`).buffer(true);
    expect({ url: `${path}${query}`, status: res.status }).toEqual({
      url: `${path}${query}`,
      status,
    });
    expect(res.headers['content-type']).toContain(type);
    const body: unknown = type === 'application/json' ? JSON.parse(res.text) : res.text;
    const ok = validate(body);
    if (!ok) {
      throw new Error(
        `GET ${path}${query} (${status}) does not match its documented schema:\n` +
          (validate.errors ?? [])
            .map((e) => `  ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
            .join('\n'),
      );
    }
    return body;
  }

  const PATH_SAMPLES: Record<string, string> = { symbol: 'BTCUSD' };
  /** The required query of each route, and further variants whose shapes differ (null or not). */
  const queries = (): Record<string, string[]> => {
    const to = bucketStart(Date.now() - 6000, '1s');
    return {
      '/api/instruments/{symbol}/quotes': ['', '?limit=5', '?from=0&limit=2'],
      '/api/instruments/{symbol}/candles': [
        '?interval=1s',
        '?interval=1m&limit=2',
        `?interval=1s&from=${to - 10_000}&to=${to}`, // settled: sent from cached bytes
      ],
      '/api/quotes/latest': ['', '?symbols=btcusd,ETHUSD'],
      '/api/instruments': ['', '?assetClass=crypto'],
    };
  };

  it('documents every GET route with a response schema, not a description', () => {
    const gets = Object.entries(doc.paths)
      .filter(([, ops]) => ops.get)
      .map(([path]) => path)
      .sort();
    expect(gets).toEqual([
      '/api/cluster',
      '/api/health',
      '/api/health/live',
      '/api/health/ready',
      '/api/instruments',
      '/api/instruments/{symbol}',
      '/api/instruments/{symbol}/candles',
      '/api/instruments/{symbol}/quotes',
      '/api/metrics',
      '/api/quotes/latest',
    ]);
    for (const path of gets) expect(() => documented(path, 200)).not.toThrow();
  });

  it('answers each documented GET route with exactly its documented shape', async () => {
    const variants = queries();
    for (const template of Object.keys(doc.paths).filter((p) => doc.paths[p].get)) {
      for (const query of variants[template] ?? ['']) {
        const body = await check(template, query);
        // Arrays must hold items, or their item schema went unchecked.
        if (typeof body === 'object' && !query.includes('from=')) {
          expect({ url: template + query, empty: emptyArrays(body) }).toEqual({
            url: template + query,
            // A ready node has no reasons to wait: an array of plain strings.
            empty: template === '/api/health/ready' ? ['$.waiting'] : [],
          });
        }
      }
    }
  });

  it('covers both sides of each nullable field', async () => {
    const first = (await check('/api/instruments/{symbol}/quotes', '?from=0&limit=2')) as {
      nextCursor: string | null;
    };
    expect(typeof first.nextCursor).toBe('string');
    const latest = (await check('/api/instruments/{symbol}/quotes', '?limit=2')) as {
      nextCursor: string | null;
    };
    expect(latest.nextCursor).toBeNull();
    const detail = (await check('/api/instruments/{symbol}')) as { quote: unknown };
    expect(detail.quote).not.toBeNull();
  });

  it('answers errors with the documented error shape', async () => {
    PATH_SAMPLES.symbol = 'NOPE';
    try {
      const unknown = (await check('/api/instruments/{symbol}', '', 404)) as { code: string };
      expect(unknown.code).toBe('UNKNOWN_SYMBOL');
      await check('/api/instruments/{symbol}/quotes', '', 404);
    } finally {
      PATH_SAMPLES.symbol = 'BTCUSD';
    }
    const bad = (await check('/api/instruments/{symbol}/candles', '?interval=2m', 400)) as {
      details: { problems: string[] };
    };
    expect(bad.details.problems).toHaveLength(1);
    await check('/api/instruments/{symbol}/quotes', '?limit=0', 400);
    await check('/api/instruments', '?assetClass=bonds', 400);
    await check('/api/quotes/latest', '?symbols=AAPL,NOPE,ZZZ', 404);
  });

  it('documents the 304 a settled candles page answers to its ETag', async () => {
    const to = bucketStart(Date.now() - 6000, '1s');
    const path = `/api/instruments/BTCUSD/candles?interval=1s&from=${to - 10_000}&to=${to}`;
    const page = await request(sut.url).get(path).expect(200);
    const etag = page.headers.etag;
    expect(etag).toBeDefined();
    await request(sut.url).get(path).set('If-None-Match', etag).expect(304);
    const op = doc.paths['/api/instruments/{symbol}/candles'].get;
    expect(Object.keys(op.responses)).toContain('304');
    expect(Object.keys(op.responses['200'] as object)).toContain('headers');
  });
});
