// TickStream on a JetStream stream of the ticks.<SYMBOL> subjects, fenced with
// Nats-Expected-Last-Subject-Sequence and de-duplicated with Nats-Msg-Id (nats-server 2.9+).
// Cluster mode only: the embedded default (one process, no NATS) never opens it.
import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { WrongLastSequenceError } from '../cluster.errors';
import { TICK_SUBJECT_PREFIX } from '../fenced-publisher';
import type { FencedPublishOptions, PublishAck, StoredMessage, TickStream } from '../tick-stream';

export const TICK_STREAM = 'TICKERBOARD_TICKS';
/** How long a message id is remembered: a retry later than this could be stored twice. */
export const TICK_DUPLICATE_WINDOW_MS = 120_000;

export interface JetStreamTickStreamOptions {
  stream?: string;
  duplicateWindowMs?: number;
  /** How long ticks are kept (the stream's max_age); 0 keeps them until removed. */
  maxAgeMs?: number;
  /** Replicas when the stream is created (an existing stream keeps its own). */
  replicas?: number;
  /** Per publish; an unanswered publish is retried by FencedTickPublisher with the same id. */
  timeoutMs?: number;
}

const NANOS_PER_MS = 1_000_000;

export class JetStreamTickStream implements TickStream {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly timeoutMs?: number,
  ) {}

  /** Opens the stream, creating it (file storage, all ticks.> subjects) when absent. */
  static async open(
    nc: NatsConnection,
    {
      stream = TICK_STREAM,
      duplicateWindowMs = TICK_DUPLICATE_WINDOW_MS,
      maxAgeMs = 0,
      replicas = 1,
      timeoutMs,
    }: JetStreamTickStreamOptions = {},
  ): Promise<JetStreamTickStream> {
    const jsm = await jetstreamManager(nc);
    const subjects = [`${TICK_SUBJECT_PREFIX}>`];
    const maxAge = Math.max(maxAgeMs, duplicateWindowMs) * NANOS_PER_MS;
    try {
      const info = await jsm.streams.info(stream);
      if (maxAgeMs && info.config.max_age !== maxAge) {
        await jsm.streams.update(stream, { ...info.config, max_age: maxAge });
      }
    } catch (error) {
      if (!(
        error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound
      )) {
        throw error;
      }
      await jsm.streams.add({
        name: stream,
        subjects,
        storage: StorageType.File,
        duplicate_window: duplicateWindowMs * NANOS_PER_MS,
        ...(maxAgeMs ? { max_age: maxAge } : {}),
        num_replicas: replicas,
      });
    }
    return new JetStreamTickStream(jetstream(nc), jsm, stream, timeoutMs);
  }

  async publish(
    subject: string,
    data: Uint8Array,
    { expectedLastSubjectSequence, msgId }: FencedPublishOptions,
  ): Promise<PublishAck> {
    try {
      const ack = await this.js.publish(subject, data, {
        msgID: msgId,
        expect: { lastSubjectSequence: expectedLastSubjectSequence, streamName: this.stream },
        ...(this.timeoutMs ? { timeout: this.timeoutMs } : {}),
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      if (
        error instanceof JetStreamApiError &&
        error.code === JetStreamApiCodes.StreamWrongLastSequence
      ) {
        throw new WrongLastSequenceError(subject, expectedLastSubjectSequence, error.message);
      }
      throw error;
    }
  }

  async lastBySubject(subject: string): Promise<StoredMessage | null> {
    const stored = await this.jsm.streams.getMessage(this.stream, { last_by_subj: subject });
    return stored ? { seq: stored.seq, data: stored.data } : null;
  }
}
