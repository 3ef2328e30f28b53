// The benchmarks' credential: BENCH_API_KEY runs every Tickerboard server with API_KEYS set to it
// and makes every client present it, so that the cost of authentication is measured like the
// rest; unset, the servers are public.
export const BENCH_API_KEY = process.env.BENCH_API_KEY?.trim() || undefined;

/** Headers a REST request of the benchmarks carries. */
export function authHeaders(): Record<string, string> {
  return BENCH_API_KEY ? { authorization: `Bearer ${BENCH_API_KEY}` } : {};
}

/** Socket.IO CONNECT packet of the default namespace, with the handshake's auth when a key is set. */
export function socketIoConnectPacket(): string {
  return BENCH_API_KEY ? `40${JSON.stringify({ token: BENCH_API_KEY })}` : '40';
}

/**
 * A server's environment for the benchmarks: the per-client limits are off (every simulated
 * client shares one IP), and the credential is required when BENCH_API_KEY is set.
 */
export function benchServerEnv(): Record<string, string> {
  return {
    WS_CONNECTIONS_PER_IP: '0',
    WS_HANDSHAKES_PER_IP: '0',
    REST_RATE_LIMIT: '0',
    ...(BENCH_API_KEY ? { API_KEYS: BENCH_API_KEY } : {}),
  };
}
