// Typed failures of the cluster seams. The JetStream adapters map the server's answers to these,
// so the lease and the publisher decide on types, never on message text.

/** A KV create found the key present, or an update's revision was no longer the latest. */
export class LeaseConflictError extends Error {
  override readonly name = 'LeaseConflictError';
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`lease ${key}: ${detail}`);
  }
}

/** A publish was refused because the subject's last stream sequence was not the one expected. */
export class WrongLastSequenceError extends Error {
  override readonly name = 'WrongLastSequenceError';
  constructor(
    readonly subject: string,
    readonly expected: number,
    detail = 'wrong last sequence',
  ) {
    super(`${subject}: expected last sequence ${expected}: ${detail}`);
  }
}

/** The publisher has stopped: another node publishes now, or an outcome could not be known. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
  constructor(readonly reason: string) {
    super(`publisher fenced: ${reason}`);
  }
}

/** Too many ticks of one symbol wait for acks; the publisher does not buffer without bound. */
export class PublishBacklogError extends Error {
  override readonly name = 'PublishBacklogError';
  constructor(
    readonly symbol: string,
    readonly limit: number,
  ) {
    super(`${symbol}: more than ${limit} ticks waiting for acks`);
  }
}
