// REST client for /api. Every failure becomes an ApiError with a message a trader can read; the
// stored key, if any, goes with every request as a Bearer token (a header, never the URL).
import type { ApiErrorBody, Candle, Instrument, Interval, Snapshot } from '../../src/contracts';
import type { Credentials } from './auth';

export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unreachable(): boolean {
    return this.status === 0;
  }

  /** The server wants a (different) key: retrying as is would be refused again. */
  get unauthorized(): boolean {
    return this.code === 'UNAUTHORIZED';
  }
}

export interface CandlePage {
  symbol: string;
  interval: Interval;
  candles: Candle[];
}

export interface CandleQuery {
  from?: number;
  to?: number;
  limit?: number;
}

export interface MarketApi {
  instruments(): Promise<Instrument[]>;
  latestQuotes(symbols: readonly string[]): Promise<Snapshot[]>;
  candles(symbol: string, interval: Interval, query?: CandleQuery): Promise<Candle[]>;
}

const TIMEOUT_MS = 10_000;

export function createApi(
  base = '/api',
  fetchImpl: typeof fetch = fetch.bind(globalThis),
  credentials?: Credentials,
): MarketApi {
  async function get<T>(path: string, what: string): Promise<T> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
    const token = credentials?.token() ?? null;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, { signal: ctrl.signal, headers });
    } catch {
      throw new ApiError(`Cannot reach the server while loading ${what}.`, 0);
    } finally {
      clearTimeout(timer);
    }
    // Any answer but a 401 means the key (or its absence) got past the server's check.
    if (res.status === 401) credentials?.rejected(token);
    else credentials?.accepted(token);
    if (!res.ok) {
      let body: Partial<ApiErrorBody> = {};
      try {
        body = (await res.json()) as Partial<ApiErrorBody>;
      } catch {
        // Not our error shape (a proxy's page, say): the status is all there is.
      }
      const detail = body.message ?? res.statusText ?? 'request failed';
      // A 401 is about credentials whoever sent it (a proxy's bare 401 too).
      const code = res.status === 401 ? 'UNAUTHORIZED' : body.code;
      throw new ApiError(`Could not load ${what}: ${detail} (${res.status}).`, res.status, code);
    }
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiError(
        `Could not load ${what}: the server sent an unreadable answer.`,
        res.status,
      );
    }
  }

  return {
    async instruments() {
      const body = await get<{ instruments: Instrument[] }>('/instruments', 'the instrument list');
      return body.instruments;
    },
    async latestQuotes(symbols) {
      if (symbols.length === 0) return [];
      const q = encodeURIComponent(symbols.join(','));
      const body = await get<{ quotes: Snapshot[] }>(`/quotes/latest?symbols=${q}`, 'quotes');
      return body.quotes;
    },
    async candles(symbol, interval, query = {}) {
      const params = new URLSearchParams({ interval });
      if (query.from !== undefined) params.set('from', String(query.from));
      if (query.to !== undefined) params.set('to', String(query.to));
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      const body = await get<CandlePage>(
        `/instruments/${encodeURIComponent(symbol)}/candles?${params}`,
        `${symbol} ${interval} candles`,
      );
      return body.candles;
    },
  };
}
