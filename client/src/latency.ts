// Tick-to-screen latency: a ring of the most recent samples, summarised as median and p95.

const SAMPLES = 512;

export interface LatencyStats {
  p50: number;
  p95: number;
  n: number;
}

export class LatencyWindow {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;

  constructor(size = SAMPLES) {
    this.samples = new Float64Array(size);
  }

  record(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.samples.length;
    if (this.count < this.samples.length) this.count++;
  }

  /** Median and 95th percentile of the most recent samples. */
  stats(): LatencyStats {
    const n = this.count;
    if (!n) return { p50: NaN, p95: NaN, n };
    const xs = Array.from(this.samples.subarray(0, n)).sort((a, b) => a - b);
    return { p50: xs[Math.floor((n - 1) * 0.5)], p95: xs[Math.floor((n - 1) * 0.95)], n };
  }

  reset(): void {
    this.count = 0;
    this.next = 0;
  }
}
