// Opaque, tamper-evident page cursors for the ticks endpoint: a body and its HMAC-SHA256 tag,
// under a key that only the server holds (CURSOR_SECRET, or one generated into DATA_DIR).
import { Logger } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidPayloadError } from '../common/errors';
import type { AppConfig } from '../config/app-config';

export interface TickCursor {
  symbol: string;
  /** The page continues after this seq. */
  afterSeq: number;
  from?: number;
  to?: number;
}

/** Bytes of the tag a cursor carries: 128 bits is beyond guessing, and keeps cursors short. */
const TAG_BYTES = 16;
/**
 * The range a time query parameter can name: ISO-8601 from year 0000, epoch ms of up to 16
 * digits (src/common/time-param.ts). A cursor's range is held to the same.
 */
export const MIN_TIME_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z
export const MAX_TIME_MS = 1e16; // 9999999999999999 as a double

/** The tag as a cursor carries it: TAG_BYTES in unpadded base64url. */
const TAG_TEXT = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((TAG_BYTES * 4) / 3)}}$`);

const NOT_ISSUED = 'cursor was not issued by this server';

function isTime(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= MIN_TIME_MS &&
    value <= MAX_TIME_MS
  );
}

export class CursorCodec {
  private readonly key: Buffer;

  constructor(key: Buffer | string) {
    this.key = Buffer.from(key);
    if (this.key.length < 32) throw new Error('a cursor key needs at least 32 bytes');
  }

  encode(cursor: TickCursor): string {
    const body = Buffer.from(
      JSON.stringify([cursor.symbol, cursor.afterSeq, cursor.from ?? null, cursor.to ?? null]),
    ).toString('base64url');
    return `${body}.${this.tag(body).toString('base64url')}`;
  }

  /**
   * The cursor `text` names, checked as strictly as the query parameters it stands for: issued
   * by this key, for `symbol`, with a non-negative seq and a range the query could have named.
   */
  decode(text: string, symbol: string): TickCursor {
    const invalid = new InvalidPayloadError([NOT_ISSUED]);
    const dot = text.indexOf('.');
    if (dot <= 0 || dot !== text.lastIndexOf('.')) throw invalid;
    const body = text.slice(0, dot);
    const tagText = text.slice(dot + 1);
    // Node's base64url decoder skips characters it does not know: only the canonical text passes.
    if (!TAG_TEXT.test(tagText)) throw invalid;
    const given = Buffer.from(tagText, 'base64url');
    // Equal lengths first: timingSafeEqual throws on unequal ones, and the length is no secret.
    if (given.length !== TAG_BYTES || !timingSafeEqual(given, this.tag(body))) throw invalid;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalid;
    }
    if (!Array.isArray(parsed) || parsed.length !== 4) throw invalid;
    const [s, afterSeq, from, to] = parsed as unknown[];
    if (typeof s !== 'string') throw invalid;
    if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0)
      throw invalid;
    if ((from !== null && !isTime(from)) || (to !== null && !isTime(to))) throw invalid;
    if (from !== null && to !== null && from >= to) throw invalid;
    if (s !== symbol) throw new InvalidPayloadError([`cursor belongs to ${s}, not ${symbol}`]);
    return {
      symbol: s,
      afterSeq,
      ...(from !== null ? { from } : {}),
      ...(to !== null ? { to } : {}),
    };
  }

  private tag(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, TAG_BYTES);
  }
}

export const CURSOR_KEY_FILE = 'cursor.key';

/**
 * CURSOR_SECRET, or a key generated once into DATA_DIR/cursor.key (readable by the owner only),
 * so that cursors survive a restart. Nodes of a cluster each have their own DATA_DIR unless they
 * share one: they must be given the same CURSOR_SECRET, or a cursor works on its own node only.
 */
export function cursorKey(config: Pick<AppConfig, 'cursorSecret' | 'dataDir' | 'natsUrl'>): Buffer {
  if (config.cursorSecret) return Buffer.from(config.cursorSecret);
  const file = join(config.dataDir, CURSOR_KEY_FILE);
  if (config.natsUrl) {
    new Logger('Cursors').warn(
      `CURSOR_SECRET is not set: page cursors are signed with the key in ${file}; give every node the same CURSOR_SECRET, or a cursor works only on the node that issued it`,
    );
  }
  let key = readKey(file);
  if (key) return key;
  mkdirSync(config.dataDir, { recursive: true });
  // `wx`: of two processes starting on one DATA_DIR at once, the second reads the first's key.
  try {
    writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600); // the mode is masked by the umask; the key is the owner's alone
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  key = readKey(file);
  if (!key) throw new Error(`${file} holds no cursor key (under 32 bytes): delete it`);
  return key;
}

function readKey(file: string): Buffer | undefined {
  try {
    const key = readFileSync(file);
    if (key.length < 32) throw new Error(`${file} holds no cursor key (under 32 bytes): delete it`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
