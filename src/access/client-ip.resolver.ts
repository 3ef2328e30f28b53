// The client's IP for per-IP limits, read the way Fastify's `trustProxy: <hops>` reads it, so
// that REST and sockets count the same address.

/**
 * With `hops` proxies trusted, the address `hops` steps back along X-Forwarded-For (the TCP peer
 * is step 0); with 0, or no header, the TCP peer. A client can only prepend to the header, so the
 * trusted proxies' entries at its end cannot be forged.
 */
export function clientIp(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  hops: number,
): string {
  const peer = normalize(remoteAddress ?? '');
  if (hops <= 0 || !forwardedFor) return peer;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const chain = header.split(',');
  // chain[chain.length - 1] is one step back from the peer, chain[chain.length - hops] `hops`.
  const index = Math.max(0, chain.length - hops);
  return normalize((chain[index] ?? '').trim()) || peer;
}

/** IPv4 clients of a dual-stack socket arrive as ::ffff:a.b.c.d; count them as a.b.c.d. */
function normalize(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
