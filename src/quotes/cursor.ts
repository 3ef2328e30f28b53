// Opaque, tamper-evident page cursors for the ticks endpoint.
import { createHmac } from 'node:crypto';
import { InvalidPayloadError } from '../common/errors';

export interface TickCursor {
  symbol: string;
  /** The page continues after this seq. */
  afterSeq: number;
  from?: number;
  to?: number;
}

// Not a secret: the tag only tells cursors this server wrote from edited or invented ones.
const KEY = 'tickerboard-cursor-v1';

function tag(body: string): string {
  return createHmac('sha256', KEY).update(body).digest('base64url').slice(0, 16);
}

export function encodeCursor(cursor: TickCursor): string {
  const body = Buffer.from(
    JSON.stringify([cursor.symbol, cursor.afterSeq, cursor.from ?? null, cursor.to ?? null]),
  ).toString('base64url');
  return `${body}.${tag(body)}`;
}

export function decodeCursor(text: string, symbol: string): TickCursor {
  const invalid = new InvalidPayloadError(['cursor was not issued by this server']);
  const [body, sig, extra] = text.split('.');
  if (!body || !sig || extra !== undefined || tag(body) !== sig) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw invalid;
  const [s, afterSeq, from, to] = parsed as [unknown, unknown, unknown, unknown];
  if (typeof s !== 'string' || !Number.isSafeInteger(afterSeq)) throw invalid;
  if (s !== symbol) throw new InvalidPayloadError([`cursor belongs to ${s}, not ${symbol}`]);
  return {
    symbol: s,
    afterSeq: afterSeq as number,
    ...(typeof from === 'number' ? { from } : {}),
    ...(typeof to === 'number' ? { to } : {}),
  };
}
