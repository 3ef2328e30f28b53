// The narrow stream seam the fenced publisher needs: publishes fenced on the subject's last
// sequence and de-duplicated by message id. Implemented by JetStreamTickStream and, for specs,
// FakeTickStream.

export interface FencedPublishOptions {
  /** The stream sequence of the subject's last message; 0 when the subject must be empty. */
  expectedLastSubjectSequence: number;
  /** Sent as Nats-Msg-Id: a retry with the same id is answered as a duplicate, not stored twice. */
  msgId: string;
}

export interface PublishAck {
  /** The stream sequence of the stored message (the original one's when `duplicate`). */
  seq: number;
  duplicate: boolean;
}

export interface StoredMessage {
  seq: number;
  data: Uint8Array;
}

export interface TickStream {
  /** Throws WrongLastSequenceError when the subject's last sequence is not the expected one. */
  publish(subject: string, data: Uint8Array, options: FencedPublishOptions): Promise<PublishAck>;
  /** The subject's last message, or null when it has none. */
  lastBySubject(subject: string): Promise<StoredMessage | null>;
}
