import { clientIp } from './client-ip.resolver';

describe('clientIp', () => {
  it('is the TCP peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIp('203.0.113.9', '1.2.3.4', 0)).toBe('203.0.113.9');
  });

  it('reads X-Forwarded-For from its end, one entry per trusted hop', () => {
    // client 198.51.100.7 -> forged "1.2.3.4" prepended by the client -> balancer -> proxy
    const xff = '1.2.3.4, 198.51.100.7, 10.0.0.2';
    expect(clientIp('10.0.0.3', xff, 1)).toBe('10.0.0.2');
    expect(clientIp('10.0.0.3', xff, 2)).toBe('198.51.100.7');
    // More hops trusted than entries: the first entry (as Fastify's trustProxy does).
    expect(clientIp('10.0.0.3', xff, 9)).toBe('1.2.3.4');
  });

  it('falls back to the peer without a header, and reads repeated headers as one list', () => {
    expect(clientIp('10.0.0.3', undefined, 1)).toBe('10.0.0.3');
    expect(clientIp('10.0.0.3', ['1.1.1.1', '2.2.2.2'], 1)).toBe('2.2.2.2');
  });

  it('counts an IPv4 client of a dual-stack socket by its IPv4 address', () => {
    expect(clientIp('::ffff:127.0.0.1', undefined, 0)).toBe('127.0.0.1');
    expect(clientIp('::1', undefined, 0)).toBe('::1');
  });
});
