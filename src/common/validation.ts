// class-validator results -> InvalidPayloadError, for REST query DTOs and socket payloads alike.
import { ValidationPipe, type ValidationError } from '@nestjs/common';
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

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    exceptionFactory: (errors) => new InvalidPayloadError(describeValidationErrors(errors)),
  });
}
