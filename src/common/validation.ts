// class-validator results -> InvalidPayloadError, for REST query DTOs and socket payloads alike.
import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { InvalidPayloadError } from './errors';

/** Flattens nested validation errors into one readable line per problem, each naming its field. */
export function describeValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) {
      out.push(
        message.startsWith(e.property) ? `${path}${message.slice(e.property.length)}` : message,
      );
    }
    if (e.children?.length) out.push(...describeValidationErrors(e.children, path));
  }
  return out;
}

const SOCKET_PAYLOADS = new WeakSet<object>();

/**
 * Marks a class as a socket message payload. Nest runs global (APP_PIPE) pipes on gateway
 * handlers too, and tells their payloads from HTTP bodies by nothing but the class: the HTTP
 * pipe leaves classes marked here to the gateway's own pipe, which checks them with the
 * streaming protocol's rules and messages.
 */
export function SocketPayload(): ClassDecorator {
  return (target) => void SOCKET_PAYLOADS.add(target);
}

export function isSocketPayload(metatype: unknown): metatype is new () => object {
  return typeof metatype === 'function' && SOCKET_PAYLOADS.has(metatype);
}

/** The HTTP parameters' pipe: every class but socket payloads. */
class HttpValidationPipe extends ValidationPipe {
  protected override toValidate(metadata: ArgumentMetadata): boolean {
    return !isSocketPayload(metadata.metatype) && super.toValidate(metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new HttpValidationPipe({
    transform: true,
    whitelist: true,
    exceptionFactory: (errors) => new InvalidPayloadError(describeValidationErrors(errors)),
  });
}
