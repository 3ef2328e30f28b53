import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidPayloadError } from '../common/errors';
import { CURSOR_KEY_FILE, CursorCodec, MAX_TIME_MS, MIN_TIME_MS, cursorKey } from './cursor';

const KEY = 'k'.repeat(32);

/** A cursor signed with `key` whatever its body holds: what a holder of the key could write. */
function signed(fields: unknown, key = KEY): string {
  const body = Buffer.from(JSON.stringify(fields)).toString('base64url');
  const tag = createHmac('sha256', key).update(body).digest().subarray(0, 16);
  return `${body}.${tag.toString('base64url')}`;
}

describe('CursorCodec', () => {
  const sut = new CursorCodec(KEY);

  it('round-trips what it issued', () => {
    const c = { symbol: 'AAPL', afterSeq: 1234, from: 1000, to: 2000 };
    expect(sut.decode(sut.encode(c), 'AAPL')).toEqual(c);
    const open = { symbol: 'AAPL', afterSeq: 5 };
    expect(sut.decode(sut.encode(open), 'AAPL')).toEqual(open);
    expect(signed(['AAPL', 5, null, null])).toBe(sut.encode(open));
  });

  it('refuses forged, tampered and truncated cursors', () => {
    const good = sut.encode({ symbol: 'AAPL', afterSeq: 1 });
    const [body, tag] = good.split('.');
    const forged = Buffer.from(JSON.stringify(['AAPL', 999, null, null])).toString('base64url');
    const flipped = `${tag.slice(0, -2)}${tag.at(-2) === 'A' ? 'B' : 'A'}${tag.at(-1)}`;
    for (const bad of [
      '',
      'abc',
      '.',
      `.${tag}`,
      `${body}.`,
      `${forged}.${tag}`, // edited body, old tag
      `${body}.${flipped}`, // edited tag
      `${body}.${tag.slice(0, -3)}`, // truncated tag
      `${body.slice(0, -2)}.${tag}`, // truncated body
      `${body}.${tag}.z`,
      `${body}.${tag}${tag}`, // too long a tag
      `${body}.${tag}!`, // a character the decoder would skip
      `${body}.${tag.slice(0, 11)}\n${tag.slice(11)}`,
    ]) {
      expect(() => sut.decode(bad, 'AAPL')).toThrow(InvalidPayloadError);
    }
  });

  it('refuses a cursor issued under another key', () => {
    const other = new CursorCodec('o'.repeat(32));
    const cursor = other.encode({ symbol: 'AAPL', afterSeq: 1 });
    expect(() => sut.decode(cursor, 'AAPL')).toThrow('cursor was not issued by this server');
  });

  it('refuses a validly signed cursor whose fields a query could not name', () => {
    const bad = [
      ['AAPL', -1, null, null],
      ['AAPL', 1.5, null, null],
      ['AAPL', Number.MAX_SAFE_INTEGER + 2, null, null],
      ['AAPL', '1', null, null],
      ['AAPL', 1, 2000, 1000], // from after to
      ['AAPL', 1, 1000, 1000], // empty range
      ['AAPL', 1, MIN_TIME_MS - 1, null],
      ['AAPL', 1, null, MAX_TIME_MS * 10],
      ['AAPL', 1, '1000', null],
      ['AAPL', 1, 0.5, null],
      [7, 1, null, null],
      ['AAPL', 1, null],
      { symbol: 'AAPL', afterSeq: 1 },
    ];
    for (const fields of bad) {
      expect(() => sut.decode(signed(fields), 'AAPL')).toThrow(InvalidPayloadError);
    }
    expect(sut.decode(signed(['AAPL', 0, MIN_TIME_MS, MAX_TIME_MS]), 'AAPL')).toEqual({
      symbol: 'AAPL',
      afterSeq: 0,
      from: MIN_TIME_MS,
      to: MAX_TIME_MS,
    });
  });

  it("refuses another symbol's cursor, naming it", () => {
    const cursor = sut.encode({ symbol: 'AAPL', afterSeq: 1 });
    expect(() => sut.decode(cursor, 'MSFT')).toThrow('cursor belongs to AAPL, not MSFT');
  });

  it('needs a key of at least 32 bytes', () => {
    expect(() => new CursorCodec('short')).toThrow(/32 bytes/);
  });
});

describe('cursorKey', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'tb-cursor-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('uses CURSOR_SECRET when set, writing nothing', () => {
    const key = cursorKey({ cursorSecret: KEY, dataDir, natsUrl: undefined });
    expect(key.toString()).toBe(KEY);
    expect(() => statSync(join(dataDir, CURSOR_KEY_FILE))).toThrow();
  });

  it('generates a key once into DATA_DIR, readable by its owner only, and keeps it', () => {
    const first = cursorKey({ cursorSecret: undefined, dataDir, natsUrl: undefined });
    const file = join(dataDir, CURSOR_KEY_FILE);
    expect(first.length).toBe(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file).equals(first)).toBe(true);
    // After a restart: the same key, so cursors issued before still work.
    const second = cursorKey({ cursorSecret: undefined, dataDir, natsUrl: undefined });
    expect(second.equals(first)).toBe(true);
    const cursor = new CursorCodec(first).encode({ symbol: 'AAPL', afterSeq: 3 });
    expect(new CursorCodec(second).decode(cursor, 'AAPL').afterSeq).toBe(3);
  });

  it('refuses a key file too short to be a key', () => {
    writeFileSync(join(dataDir, CURSOR_KEY_FILE), 'short');
    expect(() => cursorKey({ cursorSecret: undefined, dataDir, natsUrl: undefined })).toThrow(
      /no cursor key/,
    );
  });
});
