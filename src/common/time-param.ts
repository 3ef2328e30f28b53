// Parsing of time parameters: epoch milliseconds or ISO-8601, always UTC.

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** ECMAScript's time range, ±1e8 days around 1970: a number past it names no instant. */
const MAX_TIME_MS = 8.64e15;

const inRange = (ms: number) => (Math.abs(ms) <= MAX_TIME_MS ? ms : NaN);

/** Epoch ms for "1767225600000" or "2026-01-01T00:00:00Z"; a date-time without an offset is UTC. NaN if neither. */
export function parseTimeParam(raw: unknown): number {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? inRange(raw) : NaN;
  if (typeof raw !== 'string') return NaN;
  const text = raw.trim();
  if (/^\d{1,16}$/.test(text)) return inRange(Number(text));
  const m = ISO.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = m;
  // Date.parse rolls 2026-02-30 over into March; a date that does not exist is an error.
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth) return NaN;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return NaN;
  const withZone = zone || text.length <= 10 ? text : `${text}Z`;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : NaN;
}
