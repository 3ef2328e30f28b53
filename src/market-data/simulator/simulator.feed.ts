// The seeded market simulator behind PriceFeed: schedules each symbol's ticks and emits them in time order.
import type { Tick } from '../../contracts';
import type { Clock } from '../../common/clock';
import { symbolTickRate, type CatalogEntry } from '../../instruments/catalog';
import { PriceFeed, type TickListener } from '../price-feed';
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
}

export class SimulatorFeed extends PriceFeed {
  private readonly slots: Slot[];
  private readonly listeners = new Set<TickListener>();
  private timer: NodeJS.Timeout | undefined;
  private readonly due: Tick[] = [];

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
      return { model, state: model.initialState(0), nextTs: 0 };
    });
  }

  models(): PriceModel[] {
    return this.slots.map((s) => s.model);
  }

  start(last: ReadonlyMap<string, Tick>): void {
    const now = this.clock.now();
    for (const slot of this.slots) {
      const tick = last.get(slot.model.entry.symbol);
      slot.state = tick ? slot.model.stateFromTick(tick) : slot.model.initialState(now);
      slot.nextTs = Math.max(now, slot.state.ts + 1) + slot.model.gapAfter(slot.state.seq);
    }
    if (this.timer) return;
    this.timer = setInterval(() => this.emitDue(this.clock.now()), this.options.timerMs ?? 5);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
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
        const tick = slot.model.next(slot.state, slot.nextTs);
        due.push(tick);
        slot.nextTs += slot.model.gapAfter(tick.seq);
      }
    }
    if (due.length > 1) due.sort((a, b) => a.ts - b.ts);
    for (const tick of due) for (const listener of this.listeners) listener(tick);
    return due.length;
  }
}
