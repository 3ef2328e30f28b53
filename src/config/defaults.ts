// Defaults of the settings that the server, the benchmarks and the dashboard's synthetic feed
// share. Dependency-free, so that bench/ and client/ can import it.

export const DEFAULTS = {
  /** HTTP and Socket.IO port. */
  port: 3000,
  /** Seed of the market simulator: the same seed gives the same prices. */
  seed: 42,
  /** Combined ticks per second across the whole catalog. */
  tickRate: 300,
  /** Gateway batch window in ms. */
  batchMs: 25,
  /** How often buffered ticks and candles are written to the store, in ms. */
  flushMs: 500,
} as const;
