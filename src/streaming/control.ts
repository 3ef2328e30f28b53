// Control-message checks: payload parsing, size limit, per-socket rate limiting and ordering.
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { InvalidPayloadError, RateLimitedError } from '../common/errors';
import { describeValidationErrors } from '../common/validation';
import { TokenBucket } from './token-bucket';

/** Largest control payload accepted, as JSON bytes. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

/**
 * Largest Socket.IO message the transport reads (its maxHttpBufferSize): the payload limit plus
 * the packet's own framing. A longer message closes the connection before anything parses it.
 */
export const MAX_MESSAGE_BYTES = MAX_PAYLOAD_BYTES + 1024;

/** Deepest nesting a control payload may have; the protocol's own payloads are 3 levels deep. */
export const MAX_PAYLOAD_DEPTH = 8;

/** Keys no payload has a use for, which object mappers treat specially. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why a payload's shape is refused before anything maps it, or undefined. Iterative, so a payload
 * nested thousands deep costs a walk of its (size-bounded) nodes, not the stack.
 */
export function shapeProblem(payload: object): string | undefined {
  const stack: Array<[unknown, number]> = [[payload, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) continue;
    if (depth > MAX_PAYLOAD_DEPTH)
      return `payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`;
    for (const key of Object.keys(value)) {
      if (RESERVED_KEYS.has(key)) return `payload has a field named "${key}"`;
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return undefined;
}

export function parsePayload<T extends object>(cls: new () => T, payload: unknown): T {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidPayloadError(['payload must be an object such as {"symbols": ["AAPL"]}']);
  }
  const shape = shapeProblem(payload);
  if (shape) throw new InvalidPayloadError([shape]);
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new InvalidPayloadError([`payload is ${bytes} bytes; the limit is ${MAX_PAYLOAD_BYTES}`]);
  }
  const dto = plainToInstance(cls, payload);
  const errors = validateSync(dto, { whitelist: true, forbidUnknownValues: true });
  if (errors.length) throw new InvalidPayloadError(describeValidationErrors(errors));
  return dto;
}

/** `rate` control messages per second per socket, bursts up to `rate`; and whether it floods. */
export class ControlRateLimit {
  private readonly bucket: TokenBucket;
  /** Rejections in the current second, to tell a burst from a flood. */
  private rejected = 0;
  private rejectedSince = 0;

  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.bucket = new TokenBucket(rate, 1000, now);
  }

  /** Throws RateLimitedError when over the rate. */
  take(now: number): void {
    if (this.bucket.take(1, now)) return;
    if (now - this.rejectedSince > 1000) {
      this.rejectedSince = now;
      this.rejected = 0;
    }
    this.rejected++;
    throw new RateLimitedError(
      `Too many control messages: the limit is ${this.rate} per second per connection`,
    );
  }

  /** True when the client keeps sending far past the limit: it is flooding, not bursting. */
  flooding(): boolean {
    return this.rejected > this.rate * 5;
  }
}

/** Most control messages one socket may have waiting behind the one in progress. */
export const MAX_QUEUED_CONTROL = 16;

/**
 * One socket's control messages, handled one at a time in arrival order: a subscribe that waits
 * for store reads finishes before the next message is looked at, so concurrent subscribes cannot
 * each pass the subscription limit, and an unsubscribe cannot overtake the subscribe before it.
 * Past `maxQueued` waiting messages, RATE_LIMITED: the queue's memory stays bounded.
 */
export class ControlQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  constructor(private readonly maxQueued = MAX_QUEUED_CONTROL) {}

  /** Runs `task` once every message before it is done, failed or not. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    if (this.queued >= this.maxQueued) {
      return Promise.reject(
        new RateLimitedError(
          `Too many control messages in progress: at most ${this.maxQueued} may wait per connection`,
        ),
      );
    }
    this.queued++;
    const result = this.tail.then(task);
    const settled = result.then(
      () => void this.queued--,
      () => void this.queued--,
    );
    this.tail = settled;
    return result;
  }
}
