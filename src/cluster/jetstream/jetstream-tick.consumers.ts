// Reading the tick stream: every node's ordered consumer (its live state and sockets), and the one
// durable consumer the store writer acknowledges after each committed batch.
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** The store writer's durable consumer: its ack floor is the last stream sequence committed. */
export const STORE_CONSUMER = 'tickerboard_store';
const NANOS_PER_MS = 1_000_000;
/**
 * How long one pull request waits (and so how soon a lost consumer is noticed through missed
 * heartbeats, after a nats-server restart): 5 s instead of the client's 30 s, at one request
 * per 5 s per consumer.
 */
const PULL_EXPIRES_MS = 5_000;

export interface StreamMessage {
  /** The stream sequence. */
  seq: number;
  data: Uint8Array;
  /** Messages after this one in the stream when it was delivered: 0 means caught up. */
  pending: number;
}

export interface Consuming {
  stop(): void;
}

export class JetStreamTickConsumers {
  private readonly js: JetStreamClient;

  private constructor(
    nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
  ) {
    this.js = jetstream(nc);
  }

  static async open(nc: NatsConnection, stream: string): Promise<JetStreamTickConsumers> {
    return new JetStreamTickConsumers(nc, await jetstreamManager(nc), stream);
  }

  /** The stream's last sequence (0 when empty). */
  async lastSeq(): Promise<number> {
    const info = await this.jsm.streams.info(this.stream);
    return info.state.last_seq;
  }

  /**
   * Every message from `startSeq` on, in stream order, with nothing skipped: an ordered consumer,
   * which nats.js re-creates at the next sequence after a reconnect or a missed message.
   */
  async ordered(startSeq: number, onMessage: (m: StreamMessage) => void): Promise<Consuming> {
    // The stream holds ticks.> only, so no filter (filter_subjects would need nats-server 2.10).
    const consumer = await this.js.consumers.get(this.stream, {
      ...(startSeq > 1
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }
        : { deliver_policy: DeliverPolicy.All }),
    });
    const messages = await consumer.consume({
      max_messages: 2_000,
      expires: PULL_EXPIRES_MS,
      callback: (m: JsMsg) => onMessage({ seq: m.seq, data: m.data, pending: m.info.pending }),
    });
    return { stop: () => void messages.stop() };
  }

  /** Where the store writer stands: the last stream sequence it acknowledged (0 before any). */
  async storeAckFloor(): Promise<number> {
    try {
      const info = await this.jsm.consumers.info(this.stream, STORE_CONSUMER);
      return info.ack_floor.stream_seq;
    } catch {
      return 0;
    }
  }

  /**
   * The store writer's durable consumer, re-created to start just after its ack floor: messages
   * the previous writer was handed but never acknowledged come first and in order, instead of
   * after an ack wait and behind newer ones. `ack(m)` acknowledges m and everything before it
   * (AckPolicy.All). At most `maxPending` messages are out unacknowledged, so a store outage
   * stops delivery rather than filling memory; a message not acknowledged within `ackWaitMs` is
   * delivered again (the writer skips what it already holds).
   */
  async durable(
    onMessage: (m: StreamMessage, ack: () => void) => void,
    { maxPending, ackWaitMs }: { maxPending: number; ackWaitMs: number },
  ): Promise<Consuming> {
    const floor = await this.storeAckFloor();
    await this.jsm.consumers.delete(this.stream, STORE_CONSUMER).catch(() => false);
    await this.jsm.consumers.add(this.stream, {
      durable_name: STORE_CONSUMER,
      ack_policy: AckPolicy.All,
      ...(floor > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 }
        : { deliver_policy: DeliverPolicy.All }),
      max_ack_pending: maxPending,
      ack_wait: ackWaitMs * NANOS_PER_MS,
    });
    const consumer = await this.js.consumers.get(this.stream, STORE_CONSUMER);
    const messages = await consumer.consume({
      max_messages: 1_000,
      expires: PULL_EXPIRES_MS,
      callback: (m: JsMsg) =>
        onMessage({ seq: m.seq, data: m.data, pending: m.info.pending }, () => m.ack()),
    });
    return { stop: () => void messages.stop() };
  }
}
