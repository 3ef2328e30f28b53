// Resume: the ticks a reconnecting client missed, read from store and memory, and replayed to it
// ahead of its stream, or reported as no longer kept.
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Tick } from '../contracts';
import { AppConfig } from '../config/app-config';
import { MarketDataReader } from '../market-data/market-data.reader';
import { FanOut, type ClientState } from './fan-out';

/** Most ticks one resume replays per symbol; a longer gap is reported as unresumable. */
export const MAX_REPLAY_TICKS = 50_000;

/**
 * Cluster mode: how long a resume waits for this node to reach the seqs a client saw on a node a
 * moment ahead, before it answers `unresumable`. One process has no node ahead of it.
 */
export const CLUSTER_CATCH_UP_MS = 1_000;

/** What a resume reads of market data. */
export type ResumeReader = Pick<
  MarketDataReader,
  'ticks' | 'recentFirstSeq' | 'recentAfter' | 'snapshot'
>;

/** The stored ticks read for each symbol to resume; undefined when too many are missing. */
export type LoadedReplays = ReadonlyMap<string, Tick[] | undefined>;

@Injectable()
export class ResumeService {
  private readonly catchUpMs: number;

  constructor(
    @Inject(MarketDataReader) private readonly marketData: ResumeReader,
    private readonly fanOut: FanOut,
    config: AppConfig,
  ) {
    this.catchUpMs = config.natsUrl ? CLUSTER_CATCH_UP_MS : 0;
  }

  /** The store reads of a resume (lastSeq per symbol): they yield, so they come before subscribing. */
  async load(resume: ReadonlyMap<string, number>): Promise<LoadedReplays> {
    await this.catchUp(resume);
    const loaded = new Map<string, Tick[] | undefined>();
    for (const [symbol, lastSeq] of resume) loaded.set(symbol, await this.loadOne(symbol, lastSeq));
    return loaded;
  }

  /**
   * Writes a symbol's ticks after lastSeq, up to currentSeq, to the client ahead of its stream.
   * False, with nothing written, when some of them are no longer kept. Does not yield.
   */
  replay(
    client: ClientState,
    symbol: string,
    lastSeq: number,
    currentSeq: number,
    loaded: LoadedReplays,
  ): boolean {
    const ticks = this.complete(symbol, lastSeq, currentSeq, loaded.get(symbol));
    if (!ticks) return false;
    this.fanOut.replay(client, ticks);
    return true;
  }

  /** Waits, a short while at most, until this node holds every seq the client has seen. */
  private async catchUp(resume: ReadonlyMap<string, number>): Promise<void> {
    if (!this.catchUpMs) return;
    const deadline = Date.now() + this.catchUpMs;
    while (Date.now() < deadline && this.behind(resume)) await sleep(20);
  }

  private behind(resume: ReadonlyMap<string, number>): boolean {
    for (const [symbol, lastSeq] of resume) {
      if ((this.marketData.snapshot(symbol)?.seq ?? 0) < lastSeq) return true;
    }
    return false;
  }

  /** Ticks after lastSeq from memory and store, or undefined when they are no longer kept. */
  private async loadOne(symbol: string, lastSeq: number): Promise<Tick[] | undefined> {
    const inMemory = this.marketData.recentFirstSeq(symbol);
    if (inMemory !== undefined && inMemory <= lastSeq + 1) return [];
    const ticks = await this.marketData.ticks(symbol, {
      afterSeq: lastSeq,
      order: 'asc',
      limit: MAX_REPLAY_TICKS + 1,
    });
    return ticks.length > MAX_REPLAY_TICKS ? undefined : ticks;
  }

  /** Joins a store replay with the ticks in memory up to `currentSeq`; undefined if there is a gap. */
  private complete(
    symbol: string,
    lastSeq: number,
    currentSeq: number,
    loaded: Tick[] | undefined,
  ): Tick[] | undefined {
    if (!loaded || lastSeq > currentSeq) return undefined;
    const after = loaded.length ? loaded[loaded.length - 1].seq : lastSeq;
    const replay = loaded.concat(this.marketData.recentAfter(symbol, after));
    const expected = currentSeq - lastSeq;
    if (replay.length !== expected) return undefined;
    if (
      expected > 0 &&
      (replay[0].seq !== lastSeq + 1 || replay[expected - 1].seq !== currentSeq)
    ) {
      return undefined;
    }
    return replay;
  }
}
