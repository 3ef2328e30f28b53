import { Logger } from '@nestjs/common';
import { ManualClock } from '../common/clock';
import type { AppConfig } from '../config/app-config';
import type { PruneCutoffs, QuoteStore } from '../storage/quote-store';
import { MarketDataRetention } from './market-data.retention';

const NOW = Date.UTC(2026, 2, 9, 12, 0, 0);
const HOUR = 3_600_000;

function setup(prune: (c: PruneCutoffs) => Promise<{ ticks: number; candles: number }>) {
  const store = { prune } as unknown as QuoteStore;
  const config = { tickRetentionHours: 48 } as AppConfig;
  return new MarketDataRetention(store, new ManualClock(NOW), config);
}

describe('MarketDataRetention', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('keeps ticks for the configured hours, 1s candles a day, 1m candles 31 days, others forever', async () => {
    const seen: PruneCutoffs[] = [];
    const sut = setup(async (c) => {
      seen.push(c);
      return { ticks: 0, candles: 0 };
    });
    await sut.prune();
    expect(seen).toEqual([
      {
        ticksBefore: NOW - 48 * HOUR,
        candlesBefore: { '1s': NOW - 24 * HOUR, '1m': NOW - 31 * 24 * HOUR },
      },
    ]);
  });

  it('survives a failing prune and runs one prune at a time', async () => {
    let calls = 0;
    const sut = setup(async () => {
      calls++;
      throw new Error('locked');
    });
    await Promise.all([sut.prune(), sut.prune()]);
    expect(calls).toBe(1);
    await sut.prune();
    expect(calls).toBe(2);
  });
});
