// What a connection follows: subscribe (checked, resumed and snapshotted at one instant),
// unsubscribe and the list, over the fan-out engine.
import { Inject, Injectable } from '@nestjs/common';
import type {
  LiveCandle,
  Snapshot,
  SubscribeOk,
  Subscription,
  Tick,
  TickEncoding,
} from '../contracts';
import { InvalidPayloadError, LimitExceededError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { InstrumentsService } from '../instruments/instruments.service';
import { MarketDataReader } from '../market-data/market-data.reader';
import type { SubscribeDto, UnsubscribeDto } from './dto/subscribe.dto';
import { DEFAULT_THROTTLE_MS, FanOut, type ClientState } from './fan-out';
import { ResumeService } from './resume.service';

/** What subscribing reads of market data: the snapshot and open candle the ack carries. */
export type SnapshotReader = Pick<MarketDataReader, 'snapshot' | 'openCandle'>;

/** A subscribe request with its defaults applied and its fields checked against each other. */
export interface CheckedSubscribe {
  channel: Subscription['channel'];
  interval: Subscription['interval'];
  mode: Subscription['mode'];
  throttleMs: number;
  /** Ticks channel: how its ticks are encoded. */
  encoding: TickEncoding;
  /** Last seq held, per upper-cased symbol. */
  resume: Map<string, number>;
}

/** The checks between fields of a valid SubscribeDto; InvalidPayloadError names every problem. */
export function checkSubscribe(dto: SubscribeDto): CheckedSubscribe {
  const channel = dto.channel ?? 'ticks';
  const mode = dto.mode ?? 'full';
  const problems: string[] = [];
  if (channel === 'candles' && !dto.interval) {
    problems.push('interval is required for the candles channel');
  }
  if (channel === 'ticks' && dto.interval) {
    problems.push("interval applies only to the candles channel; use channel: 'candles'");
  }
  if (channel === 'candles' && dto.mode) problems.push('mode applies only to the ticks channel');
  if (dto.throttleMs !== undefined && mode !== 'conflated') {
    problems.push("throttleMs applies only to mode 'conflated'");
  }
  if (dto.encoding && channel !== 'ticks') {
    problems.push('encoding applies only to the ticks channel');
  }
  const resume = new Map<string, number>();
  if (dto.resume) {
    if (channel !== 'ticks' || mode !== 'full') {
      problems.push("resume applies only to the ticks channel in mode 'full'");
    }
    const listed = new Set(dto.symbols.map((s) => s.trim().toUpperCase()));
    for (const [key, value] of Object.entries(dto.resume)) {
      const symbol = key.trim().toUpperCase();
      if (!listed.has(symbol)) problems.push(`resume.${key} is not among symbols`);
      else if (!Number.isSafeInteger(value) || value < 0) {
        problems.push(`resume.${key} must be a non-negative integer seq`);
      } else resume.set(symbol, value);
    }
  }
  if (problems.length) throw new InvalidPayloadError(problems);
  // In the order of `symbols`, which decides who gets the replay budget first (an object's own
  // key order puts integer-like symbols such as 7203 first).
  const ordered = new Map<string, number>();
  for (const raw of dto.symbols) {
    const symbol = raw.trim().toUpperCase();
    const seq = resume.get(symbol);
    if (seq !== undefined) ordered.set(symbol, seq);
  }
  return {
    channel,
    interval: dto.interval,
    mode,
    throttleMs: dto.throttleMs ?? DEFAULT_THROTTLE_MS,
    encoding: dto.encoding ?? 'json',
    resume: ordered,
  };
}

@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly fanOut: FanOut,
    private readonly resume: ResumeService,
    private readonly instruments: InstrumentsService,
    @Inject(MarketDataReader) private readonly marketData: SnapshotReader,
    private readonly config: AppConfig,
  ) {}

  list(client: ClientState): Subscription[] {
    return this.fanOut.subscriptions(client);
  }

  /** Unsubscribing what is not subscribed, even an unknown symbol, is not an error. */
  unsubscribe(client: ClientState, dto: UnsubscribeDto): Subscription[] {
    const channel = dto.channel ?? 'ticks';
    for (const raw of dto.symbols) {
      const symbol = this.instruments.normalize(raw);
      if (!symbol) continue;
      for (const sub of this.fanOut.subscriptions(client)) {
        if (sub.symbol !== symbol || sub.channel !== channel) continue;
        if (dto.interval && sub.interval !== dto.interval) continue;
        this.fanOut.unsubscribe(client, sub);
      }
    }
    return this.fanOut.subscriptions(client);
  }

  /** Checks everything before subscribing anything: a refused request changes nothing. */
  subscribe(client: ClientState, dto: SubscribeDto): Promise<SubscribeOk> {
    const req = checkSubscribe(dto);
    const symbols = this.instruments.resolve(dto.symbols);
    const current = this.fanOut.subscriptionCount(client);
    const added = symbols.filter(
      (symbol) =>
        !this.fanOut.has(client, { symbol, channel: req.channel, interval: req.interval }),
    ).length;
    const total = current + added;
    if (total > this.config.maxSubscriptions) {
      throw new LimitExceededError(
        `This subscribe would make ${total} subscriptions; the limit is ${this.config.maxSubscriptions} per connection`,
        { limit: this.config.maxSubscriptions, current, requested: added },
      );
    }
    return this.apply(client, symbols, req);
  }

  private async apply(
    client: ClientState,
    symbols: string[],
    req: CheckedSubscribe,
  ): Promise<SubscribeOk> {
    // A socket conflated for slowness gets full mode back only once its backlog is gone; until
    // then it stays conflated (and its resumes unanswered), so re-subscribing cannot reset the
    // bound that drops a socket that does not read.
    const slow = req.channel === 'ticks' && req.mode === 'full' && !this.fanOut.restore(client);
    // Store reads first; everything after them runs without yielding, so no tick slips between
    // a snapshot and the stream.
    const replays = slow ? new Map() : await this.resume.load(client, req.resume);
    if (this.fanOut.isClosed(client)) return { ok: true, subscriptions: [], snapshot: [] };

    const snapshot: Array<Snapshot | LiveCandle> = [];
    const unresumable: string[] = [];
    const conflated: string[] = [];
    const replayed: string[] = [];
    for (const symbol of symbols) {
      if (req.channel === 'candles') {
        const interval = req.interval!;
        if (this.fanOut.has(client, { symbol, channel: 'candles', interval })) continue;
        this.fanOut.subscribeCandles(client, symbol, interval);
        const open = this.marketData.openCandle(symbol, interval);
        if (open) snapshot.push(open);
        continue;
      }
      const current = this.marketData.snapshot(symbol);
      const currentSeq = current?.seq ?? 0;
      const existing = this.fanOut.existing(client, { symbol, channel: 'ticks' });
      const resumeFrom = req.resume.get(symbol);
      if (slow) {
        if (resumeFrom !== undefined) unresumable.push(symbol);
        conflated.push(symbol);
        if (existing?.mode !== 'conflated' || (existing.encoding ?? 'json') !== req.encoding) {
          const throttleMs = this.fanOut.degradedThrottleMs;
          this.fanOut.subscribeTicks(
            client,
            symbol,
            'conflated',
            currentSeq + 1,
            throttleMs,
            undefined,
            req.encoding,
          );
        }
        if (current) snapshot.push(current);
        continue;
      }
      let missed: Tick[] | undefined;
      if (resumeFrom === undefined) {
        const unchanged =
          existing?.mode === req.mode &&
          (existing.encoding ?? 'json') === req.encoding &&
          (req.mode === 'full' || existing.throttleMs === req.throttleMs);
        if (unchanged) continue;
      } else {
        missed = this.resume.missed(symbol, resumeFrom, currentSeq, replays);
        if (!missed) unresumable.push(symbol);
        else if (missed.length) replayed.push(symbol);
      }
      this.fanOut.subscribeTicks(
        client,
        symbol,
        req.mode,
        currentSeq + 1,
        req.throttleMs,
        missed,
        req.encoding,
      );
      if (current) snapshot.push(current);
    }
    if (conflated.length) this.stillSlow(client, conflated);
    if (replayed.length) {
      // The protocol sends a resume's ticks before its acknowledgement; a long replay goes out
      // as the socket drains, so the acknowledgement waits for it (this socket's later control
      // messages wait behind it). A replay given up meanwhile (the socket fell behind and was
      // conflated) did not deliver everything: its symbol is unresumable after all.
      await this.fanOut.missedWritten(client);
      if (this.fanOut.isClosed(client)) return { ok: true, subscriptions: [], snapshot: [] };
      for (const symbol of replayed) {
        if (this.fanOut.existing(client, { symbol, channel: 'ticks' })?.mode !== 'full') {
          unresumable.push(symbol);
        }
      }
    }
    return {
      ok: true,
      subscriptions: this.fanOut.subscriptions(client),
      snapshot,
      ...(unresumable.length ? { unresumable } : {}),
      ...(this.config.natsUrl ? { node: this.config.nodeId } : {}),
    };
  }

  /** Tells a socket still backlogged why its full subscribe was made conflated. */
  private stillSlow(client: ClientState, symbols: string[]): void {
    const throttleMs = this.fanOut.degradedThrottleMs;
    client.sink.notice({
      type: 'conflated',
      reason: 'slow_consumer',
      message: `This connection still has ${client.sink.bufferedBytes()} bytes unsent: ${symbols.length} subscription(s) stay conflated at ${throttleMs} ms, without resume. Read what was sent, then subscribe again with mode 'full' and resume.`,
      symbols: symbols.sort(),
      throttleMs,
    });
  }
}
