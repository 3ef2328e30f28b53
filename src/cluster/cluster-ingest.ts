// Cluster mode's MarketDataSource. Every node consumes the JetStream tick stream once, in order,
// into its live state and its own gateway (through the in-process MarketDataBus, as in one
// process). A node with FEED=auto competes for the feed lease; the holder runs the PriceFeed,
// publishing each tick fenced (FencedTickPublisher), and writes the store from the stream
// (StoreWriter). Nothing reaches a client or the store that the stream has not accepted.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ClusterNode, ClusterView, Tick } from '../contracts';
import { Clock } from '../common/clock';
import { Readiness, StoreWriteHealth, maxWriteBacklog } from '../common/readiness';
import { AppConfig } from '../config/app-config';
import { InstrumentsService } from '../instruments/instruments.service';
import { HistoryBackfill } from '../market-data/history-backfill';
import { MarketDataBus } from '../market-data/market-data.bus';
import { MarketDataSource } from '../market-data/market-data.source';
import { MarketDataState, seedState } from '../market-data/market-data.state';
import { PriceFeed } from '../market-data/price-feed';
import { QuoteStore } from '../storage/quote-store';
import { FEED_LEASE_KEY, FeedLease, type LeaseTenure, type LeaseValue } from './feed-lease';
import { decodeBusTick, FencedTickPublisher } from './fenced-publisher';
import { JetStreamLeaseStore } from './jetstream/jetstream-lease.store';
import {
  JetStreamTickConsumers,
  type Consuming,
  type StreamMessage,
} from './jetstream/jetstream-tick.consumers';
import { JetStreamTickStream, TICK_STREAM } from './jetstream/jetstream-tick.stream';
import { StoreWriter } from './store-writer';

/** How often the live candles go to the gateway, as in one process. */
const CANDLE_PUBLISH_MS = 200;
/** How often a node reports itself to its peers (KV bucket NODES_BUCKET, entries expire). */
const PRESENCE_MS = 2_000;
export const NODES_BUCKET = 'tickerboard_nodes';
const NODES_TTL_MS = 3 * PRESENCE_MS;
/** How long a stopping node stays up answering 503 (deploy/haproxy.cfg: 2 checks 500 ms apart). */
const DRAIN_MS = 2_000;

interface Tenure {
  lease: LeaseTenure;
  publisher: FencedTickPublisher;
  writer: StoreWriter;
  unsubscribe: () => void;
}

@Injectable()
export class ClusterIngest
  extends MarketDataSource
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(ClusterIngest.name);
  private nc: NatsConnection | undefined;
  private stream: JetStreamTickStream | undefined;
  private consumers: JetStreamTickConsumers | undefined;
  private leaseStore: JetStreamLeaseStore | undefined;
  private nodes: KV | undefined;
  private lease: FeedLease | undefined;
  private tenure: Tenure | undefined;
  /** The publisher of this node's last tenure, whose last sends may still be in flight. */
  private previous: FencedTickPublisher | undefined;
  private live: Consuming | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private clients: () => number = () => 0;
  /** Where this node's consumer stands in the stream, and how far behind it is. */
  private position = 0;
  private lag = 0;
  private catchUpTo = Infinity;
  private stalled = false;
  private leader: string | null = null;
  private tickCount = 0;
  private lastTickTs = 0;
  private badMessages = 0;
  private gaps = 0;
  private view: { at: number; nodes: ClusterNode[] } | undefined;

  constructor(
    private readonly state: MarketDataState,
    private readonly feed: PriceFeed,
    private readonly history: HistoryBackfill,
    private readonly bus: MarketDataBus,
    private readonly store: QuoteStore,
    private readonly instruments: InstrumentsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly readiness: Readiness,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    this.readiness.hold('stream', 'connecting to NATS');
    this.nc = await connect({
      servers: config.natsUrl!.split(',').map((s) => s.trim()),
      name: `tickerboard ${config.nodeId}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    void this.watchConnection(this.nc);
    this.stream = await JetStreamTickStream.open(this.nc, {
      maxAgeMs: config.streamRetentionMinutes * 60_000,
      replicas: config.natsReplicas,
      timeoutMs: 2_000,
    });
    this.consumers = await JetStreamTickConsumers.open(this.nc, TICK_STREAM);
    this.leaseStore = await JetStreamLeaseStore.open(this.nc, {
      timeoutMs: 1_000,
      replicas: config.natsReplicas,
    });
    this.nodes = await new Kvm(this.nc).create(NODES_BUCKET, {
      ttl: NODES_TTL_MS,
      history: 1,
      replicas: config.natsReplicas,
    });
    this.every(PRESENCE_MS, () => void this.report());
    if (config.feed === 'auto') this.compete();
    // Catching up may wait for the first feed node: the HTTP server starts meanwhile, not ready.
    void this.followUntilStopped();
    this.logger.log(
      `Cluster node ${config.nodeId}: NATS ${config.natsUrl}, ${this.store.kind} store, feed ${config.feed}`,
    );
  }

  /**
   * Draining: not ready from now on, the feed goes to another node without waiting a TTL, and
   * the node keeps serving for DRAIN_MS so the balancer's checks see it leave before it closes.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const started = Date.now();
    this.readiness.hold('drain', 'draining: the node is shutting down');
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.lease?.stop();
    await this.stepDown('shutdown');
    await sleep(DRAIN_MS - (Date.now() - started));
  }

  async onApplicationShutdown(): Promise<void> {
    this.live?.stop();
    const key = this.nodeKey();
    await this.nodes?.delete(key).catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
    await this.store.close();
    this.logger.log('Stopped: left the cluster');
  }

  stats(): Record<string, number> {
    return {
      ticks: this.tickCount,
      streamPosition: this.position,
      streamLag: this.lag,
      badBusMessages: this.badMessages,
      streamGaps: this.gaps,
      storeWritten: this.tenure?.writer.written ?? 0,
      leader: this.tenure ? 1 : 0,
    };
  }

  countClientsWith(count: () => number): void {
    this.clients = count;
  }

  async cluster(): Promise<ClusterView> {
    const now = this.clock.now();
    if (!this.view || now - this.view.at > 1_000) {
      const nodes: ClusterNode[] = [];
      if (this.nodes) {
        for await (const key of await this.nodes.keys()) {
          const entry = await this.nodes.get(key);
          if (entry?.operation === 'PUT') nodes.push(entry.json<ClusterNode>());
        }
      }
      nodes.sort((a, b) => a.id.localeCompare(b.id));
      this.view = { at: now, nodes };
    }
    return {
      mode: 'cluster',
      node: this.config.nodeId,
      leader: this.leader,
      nodes: this.view.nodes,
    };
  }

  // ---- following the stream (every node) ----

  private async followUntilStopped(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.follow();
        return;
      } catch (err) {
        this.logger.error(`Could not follow the tick stream, retrying: ${(err as Error).message}`);
        await sleep(1_000);
      }
    }
  }

  private async follow(): Promise<void> {
    const consumers = this.consumers!;
    // A first start: history and the first tick come from the first feed node.
    while (
      !this.stopped &&
      (await consumers.lastSeq()) === 0 &&
      (await this.store.lastTicks()).size === 0
    ) {
      this.readiness.hold('stream', 'waiting for a feed node to start the market');
      await sleep(500);
    }
    this.readiness.hold('stream', 'catching up with the tick stream');
    // Everything up to the writer's ack floor is in the store, so the snapshot below holds it;
    // the stream from just after it fills the rest (ticks the snapshot also has are skipped).
    const floor = await consumers.storeAckFloor();
    this.catchUpTo = await consumers.lastSeq();
    this.state.clear();
    await this.store.readConsistent(async (view) => {
      const last = await view.lastTicks();
      await seedState(this.state, view, this.instruments.entries(), this.clock.now(), last, {
        ring: () => true,
      });
    });
    if (this.stopped) return;
    // Candles advance with the clock only once seeded (a seed must come before any advance).
    this.every(CANDLE_PUBLISH_MS, () => this.publishCandles());
    if (this.catchUpTo <= floor) this.caughtUp();
    this.position = floor;
    this.live = await consumers.ordered(floor + 1, this.onStreamMessage);
  }

  private readonly onStreamMessage = (m: StreamMessage): void => {
    this.position = m.seq;
    this.lag = m.pending;
    this.onMessage(m.data);
    if (m.seq >= this.catchUpTo) this.caughtUp();
  };

  /**
   * After a reconnect the server may have lost this node's consumer (a restart): follow again
   * from the next sequence at once rather than after missed heartbeats.
   */
  private async refollow(): Promise<void> {
    const live = this.live;
    if (!live || this.stopped) return;
    live.stop();
    try {
      this.live = await this.consumers!.ordered(this.position + 1, this.onStreamMessage);
    } catch (err) {
      this.logger.warn(`Could not follow the stream again yet: ${(err as Error).message}`);
      this.live = live;
      setTimeout(() => void this.refollow(), 1_000).unref();
    }
  }

  /** The per-tick path of a cluster node: decode, skip what it holds, apply, hand to the gateway. */
  private onMessage(data: Uint8Array): void {
    let tick: Tick;
    try {
      tick = decodeBusTick(data).tick;
    } catch {
      this.badMessages++;
      return;
    }
    const last = this.state.book.lastTick(tick.symbol)?.seq ?? 0;
    if (tick.seq <= last) return;
    if (last !== 0 && tick.seq !== last + 1) {
      // Ticks the stream no longer holds (retention): resume reports them unresumable.
      this.gaps++;
      this.state.recent.clear(tick.symbol);
    }
    this.tickCount++;
    this.lastTickTs = tick.ts;
    this.state.apply(tick);
    this.bus.publishTick(tick);
    if (this.stalled) this.recover();
  }

  private caughtUp(): void {
    if (this.catchUpTo === -1) return;
    this.catchUpTo = -1;
    this.readiness.release('stream');
    this.logger.log(`Caught up with the tick stream at sequence ${this.position}`);
  }

  private publishCandles(): void {
    // While catching up, ticks are seconds old: close buckets by their time, not the clock's,
    // so that each tick lands in the candle the store writer puts it in.
    const now = this.clock.now();
    const caughtUp = this.catchUpTo === -1;
    if (!caughtUp && !this.lastTickTs) return;
    this.state.aggregator.advance(caughtUp ? now : Math.min(now, this.lastTickTs));
    const updates = this.state.aggregator.takeUpdates();
    if (updates.length) this.bus.publishCandles(updates);
  }

  private async watchConnection(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.logger.warn('NATS connection lost: the stream pauses until it is back');
        this.stall(
          'The tick stream is paused: the bus is unreachable. Ticks continue when it is back.',
        );
      } else if (status.type === 'reconnect') {
        this.logger.log('NATS connection back');
        void this.refollow();
      }
    }
  }

  private stall(message: string): void {
    if (this.stalled || this.stopped) return;
    this.stalled = true;
    this.bus.publishNotice({ type: 'stalled', message });
  }

  private recover(): void {
    this.stalled = false;
    this.bus.publishNotice({
      type: 'recovered',
      message: 'The tick stream flows again; nothing the bus accepted was lost',
    });
  }

  // ---- the feed (nodes with FEED=auto) ----

  private compete(): void {
    this.lease = new FeedLease(this.leaseStore!, this.clock, {
      nodeId: this.config.nodeId,
      onAcquired: (tenure) =>
        void this.lead(tenure).catch((err: unknown) => {
          this.logger.error(`Could not start the feed: ${(err as Error).message}`);
          void this.resign();
        }),
      onLost: (tenure, reason) => {
        this.logger.warn(`Feed lease lost (term ${tenure.term}, ${reason}): feed stopped`);
        void this.stepDown(reason);
      },
    });
    this.lease.start();
  }

  /** Holding the lease: continue every symbol from the stream's last tick, then write the store. */
  private async lead(lease: LeaseTenure): Promise<void> {
    const symbols = this.instruments.entries().map((e) => e.symbol);
    const publisher = new FencedTickPublisher(this.stream!, {
      holdsLease: () => this.lease?.tenure?.term === lease.term,
      onFenced: (event) => {
        // onLost steps down; a publisher of an earlier tenure must not resign a newer one.
        if (event.reason === 'lease-lost' || this.tenure?.publisher !== publisher) return;
        this.logger.warn(
          `Feed fenced on ${event.symbol} (${event.reason}): another node publishes`,
        );
        void this.resign();
      },
    });
    // A publish of this node's previous tenure still in flight would land after the read below.
    await Promise.race([this.previous?.settled(), sleep(3_000)]);
    const fromStream = await publisher.takeOver(symbols);
    if (this.config.backfill && (await this.store.isEmpty())) {
      const started = Date.now();
      const rows = await this.history.fill(this.clock.now());
      this.logger.log(`History backfilled: ${rows} candles in ${Date.now() - started} ms`);
    }
    // The stream is the truth; the store may hold later ticks only if the stream lost them.
    const stored = await this.store.lastTicks();
    const last = new Map<string, Tick>();
    for (const symbol of symbols) {
      const a = fromStream.get(symbol);
      const b = stored.get(symbol);
      const tick = a && (!b || a.seq >= b.seq) ? a : b;
      if (tick) last.set(symbol, tick);
    }
    const mids = new Map<string, number>();
    for (const [symbol, mid] of publisher.lastMids()) {
      if (last.get(symbol) === fromStream.get(symbol)) mids.set(symbol, mid);
    }
    if (this.lease?.tenure?.term !== lease.term) return;
    const writer = new StoreWriter(this.store, this.consumers!, {
      term: lease.term,
      flushMs: this.config.flushMs,
      symbols,
      health: new StoreWriteHealth(this.readiness, maxWriteBacklog(this.config.tickRate)),
      onFenced: () => {
        if (this.tenure?.writer === writer) void this.resign();
      },
    });
    const unsubscribe = this.feed.subscribe((tick, mid) => {
      publisher.publish(tick, mid).catch(() => undefined); // a refusal fences the publisher
    });
    this.tenure = { lease, publisher, writer, unsubscribe };
    this.leader = this.config.nodeId;
    this.feed.start(last, { mids });
    this.logger.log(`Feed lease taken (term ${lease.term}): this node runs the feed`);
    await writer.start();
  }

  /** Stops the feed at once, then lets the writer finish its batch. */
  private async stepDown(reason: string): Promise<void> {
    const tenure = this.tenure;
    if (!tenure) return;
    this.tenure = undefined;
    this.previous = tenure.publisher;
    this.feed.stop();
    tenure.unsubscribe();
    if (this.leader === this.config.nodeId) this.leader = null;
    await tenure.writer
      .stop()
      .catch((err: unknown) =>
        this.logger.warn(
          `Store writer stopped with an error (${reason}): ${(err as Error).message}`,
        ),
      );
  }

  /** Fenced: another node published. Give the lease up and compete again later. */
  private async resign(): Promise<void> {
    await this.stepDown('fenced');
    const lease = this.lease;
    if (!lease || this.stopped) return;
    await lease.stop();
    if (!this.stopped) this.compete();
  }

  // ---- presence ----

  private async report(): Promise<void> {
    if (!this.nodes || this.stopped) return;
    const self: ClusterNode = {
      id: this.config.nodeId,
      clients: this.clients(),
      lag: this.lag,
      feed: this.config.feed === 'auto',
      ready: this.readiness.status().ready,
      seenAt: this.clock.now(),
    };
    try {
      await this.nodes.put(this.nodeKey(), JSON.stringify(self));
      const entry = await this.leaseStore!.get(FEED_LEASE_KEY);
      this.leader = entry ? (JSON.parse(entry.value) as LeaseValue).nodeId : null;
      if (!this.leader) this.stall('The tick stream is paused: a new feed node is taking over.');
    } catch {
      // NATS unreachable: the connection watcher has said so.
    }
  }

  private nodeKey(): string {
    return `node.${this.config.nodeId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
