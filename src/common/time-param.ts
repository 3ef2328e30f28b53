// Parsing of time parameters: epoch milliseconds or ISO-8601, always UTC.

const ISO =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Epoch ms for "1767225600000" or "2026-01-01T00:00:00Z"; a date-time without an offset is UTC. NaN if neither. */
export function parseTimeParam(raw: unknown): number {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : NaN;
  if (typeof raw !== 'string') return NaN;
  const text = raw.trim();
  if (/^\d{1,16}$/.test(text)) return Number(text);
  const m = ISO.exec(text);
  if (!m) return NaN;
  const withZone = m[1] || text.length <= 10 ? text : `${text}Z`;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : NaN;
}
