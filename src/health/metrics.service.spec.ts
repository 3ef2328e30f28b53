import { bearerMatches } from './metrics.service';

describe('bearerMatches', () => {
  const token = 'metrics-token-0123456789';

  it('accepts exactly `Bearer <token>`, the scheme in any case', () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
  });

  it('refuses a missing, empty, other or partial credential', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      token,
      `Basic ${token}`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}x`,
      `Bearer ${token} extra`,
    ]) {
      expect(bearerMatches(header, token)).toBe(false);
    }
  });
});
