import { CATALOG } from '../../instruments/catalog';
import type { CandleRow, QuoteStore } from '../../storage/quote-store';
import { generateHistory } from './history-generator';
import { SimulatorBackfill } from './simulator.backfill';

const LIVE = Date.UTC(2026, 2, 9, 12, 30, 0);
const ENTRIES = CATALOG.filter((e) => ['SPY', 'AAPL', 'EURUSD'].includes(e.symbol));

function loadingStore(fail?: Error) {
  const loaded: CandleRow[] = [];
  const store = {
    historyLoadsInFlight: 2,
    loadHistory: async (rows: readonly CandleRow[]) => {
      if (fail) throw fail;
      loaded.push(...rows);
    },
  } as unknown as QuoteStore;
  return { store, loaded };
}

describe('SimulatorBackfill', () => {
  it("loads every symbol's generated history in key order, at its share of the tick rate", async () => {
    const { store, loaded } = loadingStore();
    const sut = new SimulatorBackfill(ENTRIES, store, { seed: 7, tickRate: 300 });
    const rows = await sut.fill(LIVE);
    expect(rows).toBe(loaded.length);
    expect([...new Set(loaded.map((r) => r.symbol))]).toEqual(['AAPL', 'EURUSD', 'SPY']);
    const total = ENTRIES.reduce((sum, e) => sum + e.sim.liquidity, 0);
    const spy = ENTRIES.find((e) => e.symbol === 'SPY')!;
    const expected = [
      ...generateHistory(7, spy, LIVE, { ticksPerSecond: (300 * spy.sim.liquidity) / total }),
    ].flat();
    expect(loaded.filter((r) => r.symbol === 'SPY')).toEqual(expected);
  });

  it('fails with the store when a load fails', async () => {
    const { store } = loadingStore(new Error('no space'));
    const sut = new SimulatorBackfill(ENTRIES, store, { seed: 7, tickRate: 300 });
    await expect(sut.fill(LIVE)).rejects.toThrow('no space');
  });
});
