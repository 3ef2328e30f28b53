// An in-memory TickStream with JetStream's publish semantics as nats-server 2.9 applies them:
// a message id seen within the duplicate window is answered as a duplicate of the stored message
// (checked before anything else), then the subject's last sequence must equal the expected one.
// Stream sequences are shared by all subjects.
import { ManualClock } from '../common/clock';
import { WrongLastSequenceError } from './cluster.errors';
import type { FencedPublishOptions, PublishAck, StoredMessage, TickStream } from './tick-stream';

export interface AcceptedMessage {
  seq: number;
  subject: string;
  msgId: string;
  data: Uint8Array;
}

export class FakeTickStream implements TickStream {
  /** Every message stored, in stream order. */
  readonly accepted: AcceptedMessage[] = [];
  private readonly lastSeq = new Map<string, number>();
  private readonly ids = new Map<string, { seq: number; at: number }>();
  calls = 0;
  /** When set, each call waits for it before it reaches the "server". */
  beforeApply?: () => Promise<void>;
  /** When set, each answer waits for it on its way back. */
  beforeReply?: () => Promise<void>;
  /** Number of coming publishes that are stored but whose ack is lost (the caller sees a timeout). */
  loseAcks = 0;

  constructor(
    readonly serverClock = new ManualClock(0),
    readonly duplicateWindowMs = 120_000,
  ) {}

  async publish(
    subject: string,
    data: Uint8Array,
    { expectedLastSubjectSequence, msgId }: FencedPublishOptions,
  ): Promise<PublishAck> {
    this.calls++;
    if (this.beforeApply) await this.beforeApply();
    const ack = this.apply(subject, data, expectedLastSubjectSequence, msgId);
    if (this.beforeReply) await this.beforeReply();
    if (this.loseAcks > 0) {
      this.loseAcks--;
      throw new Error('TIMEOUT');
    }
    return ack;
  }

  async lastBySubject(subject: string): Promise<StoredMessage | null> {
    this.calls++;
    if (this.beforeApply) await this.beforeApply();
    const seq = this.lastSeq.get(subject);
    const found = seq === undefined ? undefined : this.accepted.find((m) => m.seq === seq);
    const answer = found ? { seq: found.seq, data: found.data.slice() } : null;
    if (this.beforeReply) await this.beforeReply();
    return answer;
  }

  private apply(subject: string, data: Uint8Array, expected: number, msgId: string): PublishAck {
    const now = this.serverClock.now();
    const seen = this.ids.get(msgId);
    if (seen && now - seen.at < this.duplicateWindowMs) return { seq: seen.seq, duplicate: true };
    const last = this.lastSeq.get(subject) ?? 0;
    if (last !== expected) throw new WrongLastSequenceError(subject, expected, `last is ${last}`);
    const seq = this.accepted.length + 1;
    this.accepted.push({ seq, subject, msgId, data: data.slice() });
    this.lastSeq.set(subject, seq);
    this.ids.set(msgId, { seq, at: now });
    return { seq, duplicate: false };
  }
}
