import { parseTimeParam } from './time-param';

describe('parseTimeParam', () => {
  it.each([
    ['1767225600000', 1767225600000],
    ['8640000000000000', 8.64e15],
    ['2026-01-01', Date.UTC(2026, 0, 1)],
    ['2026-01-01T00:00:00Z', Date.UTC(2026, 0, 1)],
    ['2026-01-01T12:30', Date.UTC(2026, 0, 1, 12, 30)],
    ['2026-01-01T12:30:15.250', Date.UTC(2026, 0, 1, 12, 30, 15, 250)],
    ['2026-01-01T12:30:00+02:00', Date.UTC(2026, 0, 1, 10, 30)],
  ])('reads %s as UTC', (raw, expected) => {
    expect(parseTimeParam(raw)).toBe(expected);
  });

  it.each([
    'yesterday',
    '2026-13-45',
    '2026-02-30',
    '2026-01-01T24:00',
    '12.5',
    '',
    '-5',
    '2026/01/01',
    'NaN',
    '8640000000000001',
    '9999999999999999',
  ])('rejects %j', (raw) => {
    expect(parseTimeParam(raw)).toBeNaN();
  });
});
