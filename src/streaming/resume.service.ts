// Resume: the ticks a reconnecting client missed, read from store and memory, and replayed to it
// ahead of its stream, or reported as unresumable: no longer kept, or past the replay budget
// (MAX_REPLAY_TICKS per symbol, REPLAY_TICKS_PER_MINUTE per socket), which is checked against the
// in-memory seq before anything is read.
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import type { Tick } from '../contracts';
import { AppConfig } from '../config/app-config';
import { MarketDataReader } from '../market-data/market-data.reader';
import type { ClientState } from './fan-out';
import { ReplayBudget } from './replay-budget';

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

/**
 * The stored ticks read for each symbol to resume; undefined when the resume was refused (past
 * the budget, or from a seq this server has not reached) without reading.
 */
export type LoadedReplays = ReadonlyMap<string, Tick[] | undefined>;

@Injectable()
export class ResumeService {
  private readonly catchUpMs: number;
  private readonly maxReplayTicks: number;
  private readonly replayTicksPerMinute: number;
  /** Each socket's replay budget, made on its first resume and forgotten with its ClientState. */
  private readonly budgets = new WeakMap<ClientState, ReplayBudget>();

  constructor(
    @Inject(MarketDataReader) private readonly marketData: ResumeReader,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.catchUpMs = config.natsUrl ? CLUSTER_CATCH_UP_MS : 0;
    this.maxReplayTicks = config.maxReplayTicks;
    this.replayTicksPerMinute = config.replayTicksPerMinute;
  }

  /**
   * The store reads of a resume (lastSeq per symbol): they yield, so they come before subscribing.
   * A symbol whose gap to the current seq is past MAX_REPLAY_TICKS, or past what is left of the
   * socket's per-minute budget, or that resumes from a seq not reached yet, is refused here
   * without a read; the others spend their gap from the budget.
   */
  async load(client: ClientState, resume: ReadonlyMap<string, number>): Promise<LoadedReplays> {
    await this.catchUp(resume);
    const now = this.clock.now();
    let budget = this.budgets.get(client);
    if (!budget && resume.size) {
      budget = new ReplayBudget(this.replayTicksPerMinute, now);
      this.budgets.set(client, budget);
    }
    const granted = new Map<string, number>();
    const loaded = new Map<string, Tick[] | undefined>();
    for (const [symbol, lastSeq] of resume) {
      const gap = (this.marketData.snapshot(symbol)?.seq ?? 0) - lastSeq;
      const allowed = gap >= 0 && gap <= this.maxReplayTicks && budget!.take(gap, now);
      if (allowed) granted.set(symbol, gap);
      else loaded.set(symbol, undefined);
    }
    for (const [symbol, gap] of granted) {
      loaded.set(symbol, await this.loadOne(symbol, resume.get(symbol)!, gap));
    }
    return loaded;
  }

  /**
   * A symbol's ticks after lastSeq, up to currentSeq, to replay ahead of its stream; undefined
   * when the resume was refused or some of them are no longer kept. Does not yield.
   */
  missed(
    symbol: string,
    lastSeq: number,
    currentSeq: number,
    loaded: LoadedReplays,
  ): Tick[] | undefined {
    return this.complete(symbol, lastSeq, currentSeq, loaded.get(symbol));
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

  /**
   * The `gap` ticks after lastSeq from the store (with memory), or [] when memory reaches back
   * far enough; complete() adds those that came after and checks that none is missing.
   */
  private async loadOne(symbol: string, lastSeq: number, gap: number): Promise<Tick[]> {
    const inMemory = this.marketData.recentFirstSeq(symbol);
    if (gap === 0 || (inMemory !== undefined && inMemory <= lastSeq + 1)) return [];
    return this.marketData.ticks(symbol, { afterSeq: lastSeq, order: 'asc', limit: gap });
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
