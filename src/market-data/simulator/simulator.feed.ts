// The seeded market simulator behind PriceFeed: schedules each symbol's ticks and emits them in time order.
import type { Tick } from '../../contracts';
import type { Clock } from '../../common/clock';
import { symbolTickRate, type CatalogEntry } from '../../instruments/catalog';
import { type FeedSeqLimits, PriceFeed, type TickListener } from '../price-feed';
import { PriceModel, type SymbolState } from './price-model';

export interface SimulatorOptions {
  seed: number;
  /** Combined ticks per second across all instruments. */
  tickRate: number;
  /** How often the scheduler wakes up (default 5 ms): a tick waits at most this long past its time. */
  timerMs?: number;
  /** A symbol that fell further behind than this (a stalled event loop) skips ahead instead of bursting. */
  maxCatchUpMs?: number;
}

interface Slot {
  model: PriceModel;
  state: SymbolState;
  nextTs: number;
  /** Highest seq this symbol may emit: a field, so that the tick path checks it by one compare. */
  allowedThrough: number;
}

export class SimulatorFeed extends PriceFeed {
  private readonly slots: Slot[];
  private readonly bySymbol = new Map<string, Slot>();
  private readonly listeners = new Set<TickListener>();
  private timer: NodeJS.Timeout | undefined;
  private readonly due: Tick[] = [];
  /** The model's mid after each tick in `due`, same index. */
  private dueMids = new Float64Array(64);

  constructor(
    entries: readonly CatalogEntry[],
    private readonly clock: Clock,
    private readonly options: SimulatorOptions,
  ) {
    super();
    this.slots = entries.map((entry) => {
      const model = new PriceModel(options.seed, entry, {
        ticksPerSecond: symbolTickRate(entry, options.tickRate, entries),
      });
      return { model, state: model.initialState(0), nextTs: 0, allowedThrough: Infinity };
    });
    for (const slot of this.slots) this.bySymbol.set(slot.model.entry.symbol, slot);
  }

  models(): PriceModel[] {
    return this.slots.map((s) => s.model);
  }

  start(last: ReadonlyMap<string, Tick>, limits: FeedSeqLimits = {}): void {
    const now = this.clock.now();
    for (const slot of this.slots) {
      const symbol = slot.model.entry.symbol;
      const tick = last.get(symbol);
      slot.state = tick
        ? slot.model.stateFromTick(tick, limits.mids?.get(symbol))
        : slot.model.initialState(now);
      // Past seqs a crashed run reserved, with the stored tick's price: the model's next step.
      const after = limits.after?.get(symbol) ?? 0;
      if (after > slot.state.seq) slot.state.seq = after;
      slot.allowedThrough = limits.allowed ? (limits.allowed.get(symbol) ?? 0) : Infinity;
      slot.nextTs = Math.max(now, slot.state.ts + 1) + slot.model.gapAfter(slot.state.seq);
    }
    if (this.timer) return;
    this.timer = setInterval(() => this.emitDue(this.clock.now()), this.options.timerMs ?? 5);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  allow(symbol: string, throughSeq: number): void {
    const slot = this.bySymbol.get(symbol);
    if (slot && throughSeq > slot.allowedThrough) slot.allowedThrough = throughSeq;
  }

  subscribe(listener: TickListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Emits, in time order, every tick scheduled at or before `now`. Public for timer-free tests. */
  emitDue(now: number): number {
    const due = this.due;
    due.length = 0;
    const maxCatchUp = this.options.maxCatchUpMs ?? 2000;
    for (const slot of this.slots) {
      if (slot.nextTs < now - maxCatchUp) slot.nextTs = now - maxCatchUp;
      while (slot.nextTs <= now) {
        if (slot.state.seq >= slot.allowedThrough) {
          // Paused: once allowed further, the next tick comes after everything emitted so far.
          slot.nextTs = now + 1;
          break;
        }
        const tick = slot.model.next(slot.state, slot.nextTs);
        if (due.length === this.dueMids.length) this.growMids();
        this.dueMids[due.length] = slot.state.mid;
        due.push(tick);
        slot.nextTs += slot.model.gapAfter(tick.seq);
      }
    }
    if (due.length > 1) this.sortDue();
    const mids = this.dueMids;
    for (let i = 0; i < due.length; i++) {
      for (const listener of this.listeners) listener(due[i], mids[i]);
    }
    return due.length;
  }

  /**
   * Time order, stable (a symbol's ticks keep their order), moving each tick's mid with it: an
   * insertion sort in place, since a wake-up holds a few ticks and each slot's run is sorted.
   */
  private sortDue(): void {
    const due = this.due;
    const mids = this.dueMids;
    for (let i = 1; i < due.length; i++) {
      const tick = due[i];
      const mid = mids[i];
      let j = i - 1;
      while (j >= 0 && due[j].ts > tick.ts) {
        due[j + 1] = due[j];
        mids[j + 1] = mids[j];
        j--;
      }
      due[j + 1] = tick;
      mids[j + 1] = mid;
    }
  }

  private growMids(): void {
    const grown = new Float64Array(this.dueMids.length * 2);
    grown.set(this.dueMids);
    this.dueMids = grown;
  }
}
