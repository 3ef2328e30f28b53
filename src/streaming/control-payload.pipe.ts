// Validates a control message's payload against its DTO (a @SocketPayload() class such as
// SubscribeDto): an object, at most 16 KB, and the DTO's rules, or InvalidPayloadError naming
// every problem.
import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { isSocketPayload } from '../common/validation';
import { parsePayload } from './control';

@Injectable()
export class ControlPayloadPipe implements PipeTransform {
  transform(value: unknown, { metatype }: ArgumentMetadata): unknown {
    // The socket itself, and untyped parameters, pass through.
    return isSocketPayload(metatype) ? parsePayload(metatype, value) : value;
  }
}
