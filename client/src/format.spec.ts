import {
  changeOf,
  formatAge,
  formatChange,
  formatCrosshairTime,
  formatLatency,
  formatMoney,
  formatPercent,
  formatPrice,
  formatTickMark,
  formatVolume,
  spreadOf,
} from './format';

// Intl output uses U+2212 for minus in some locales and narrow no-break spaces in others.
const norm = (s: string) => s.replace(/\u2212/g, '-').replace(/[\u00a0\u202f]/g, ' ');

describe('format', () => {
  it('shows prices at the instrument precision, with grouping', () => {
    expect(formatPrice(1234.5, 2, 'en-US')).toBe('1,234.50');
    expect(formatPrice(1.08542, 5, 'en-US')).toBe('1.08542');
    expect(formatPrice(3012, 1, 'en-US')).toBe('3,012.0');
    expect(formatPrice(0.1 + 0.2, 2, 'en-US')).toBe('0.30');
    expect(norm(formatPrice(1234.5, 2, 'de-DE'))).toBe('1.234,50');
  });

  it('puts the currency on the last price without changing the digits', () => {
    expect(formatMoney(189.5, 2, 'USD', 'en-US')).toBe('$189.50');
    expect(formatMoney(3012, 1, 'JPY', 'en-US')).toBe('¥3,012.0');
    expect(formatMoney(1.08542, 5, 'USD', 'en-US')).toBe('$1.08542');
    expect(norm(formatMoney(178.4, 2, 'EUR', 'de-DE'))).toBe('178,40 €');
  });

  it('falls back to the code for a currency Intl does not know', () => {
    expect(formatMoney(1.5, 2, 'usdt', 'en-US')).toBe('1.50 usdt');
  });

  it('signs changes and percentages, and never shows -0', () => {
    expect(norm(formatChange(1.25, 2, 'en-US'))).toBe('+1.25');
    expect(norm(formatChange(-0.00012, 5, 'en-US'))).toBe('-0.00012');
    expect(formatChange(-0.001, 2, 'en-US')).toBe('0.00');
    expect(norm(formatPercent(0.5312, 'en-US'))).toBe('+0.53%');
    expect(norm(formatPercent(-1.2, 'en-US'))).toBe('-1.20%');
    expect(formatPercent(-0.001, 'en-US')).toBe('0.00%');
  });

  it('uses a dash for values that are not known yet', () => {
    expect(formatPrice(undefined, 2)).toBe('—');
    expect(formatPrice(NaN, 2)).toBe('—');
    expect(formatChange(NaN, 2)).toBe('—');
    expect(formatVolume(undefined)).toBe('—');
    expect(formatAge(undefined)).toBe('—');
  });

  it('keeps small volumes exact and compacts large ones', () => {
    expect(formatVolume(9_999, 'en-US')).toBe('9,999');
    expect(formatVolume(0.05, 'en-US')).toBe('0.05');
    expect(formatVolume(12_345, 'en-US')).toBe('12.3K');
    expect(formatVolume(4_560_000, 'en-US')).toBe('4.56M');
  });

  it('writes ages and latencies briefly', () => {
    expect(formatAge(420)).toBe('0.4 s');
    expect(formatAge(-50)).toBe('0.0 s');
    expect(formatAge(12_400)).toBe('12 s');
    expect(formatAge(185_000)).toBe('3 min');
    expect(formatAge(7_300_000)).toBe('2 h');
    expect(formatLatency(12.4)).toBe('12 ms');
    expect(formatLatency(1430)).toBe('1.4 s');
  });

  it('derives spread and change without float noise', () => {
    expect(spreadOf(1.08534, 1.08551, 5)).toBe(0.00017);
    expect(spreadOf(189.42, 189.49, 2)).toBe(0.07);
    expect(changeOf(110, 100)).toEqual({ change: 10, changePct: 10 });
    expect(changeOf(1, 0).change).toBeNaN();
  });

  it('labels the chart in the given time zone while the data stays UTC', () => {
    const t = Date.UTC(2025, 2, 12, 13, 5, 9); // 13:05:09 UTC
    expect(formatTickMark(t, 'time', 'en-GB', 'UTC')).toBe('13:05');
    expect(formatTickMark(t, 'time', 'en-GB', 'Europe/Paris')).toBe('14:05');
    expect(formatTickMark(t, 'time', 'en-GB', 'America/New_York')).toBe('09:05');
    expect(formatTickMark(t, 'seconds', 'en-GB', 'Asia/Tokyo')).toBe('22:05:09');
    expect(formatTickMark(t, 'day', 'en-GB', 'UTC')).toBe('12 Mar');
    expect(formatTickMark(t, 'year', 'en-GB', 'UTC')).toBe('2025');
    expect(formatCrosshairTime(t, true, 'en-GB', 'Europe/Paris')).toBe('12 Mar 2025, 14:05:09');
    expect(formatCrosshairTime(t, false, 'en-GB', 'UTC')).toBe('12 Mar 2025, 13:05');
  });
});
