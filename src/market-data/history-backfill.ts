// The seam for first-start history: the simulator generates it today; a provider's archive later.

export abstract class HistoryBackfill {
  /**
   * Loads the candles before `liveStart` into a store that holds none, so that history ends
   * where the live feed begins. Resolves with the number of candles loaded.
   */
  abstract fill(liveStart: number): Promise<number>;
}
