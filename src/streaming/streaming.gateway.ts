// The Socket.IO gateway: control messages in, one at a time per socket; acknowledgements out.
// FanOutPump drives the stream.
import { UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { EVENTS, type SubscribeOk, type SubscriptionsOk } from '../contracts';
import { InvalidPayloadError } from '../common/errors';
import { WsExceptionFilter, toAckError } from '../common/ws-exception.filter';
import { ControlQueue, MAX_MESSAGE_BYTES } from './control';
import { ControlPayloadPipe } from './control-payload.pipe';
import { ControlRateGuard } from './control-rate.guard';
import { SubscribeDto, UnsubscribeDto } from './dto/subscribe.dto';
import { FanOut } from './fan-out';
import { SocketSink } from './socket-io.wire';
import type { StreamingSocket } from './streaming.socket';
import { SubscriptionsService } from './subscriptions.service';

const KNOWN_EVENTS = new Set<string>([EVENTS.subscribe, EVENTS.unsubscribe, EVENTS.subscriptions]);

/**
 * An Engine.IO session that never sends Socket.IO's CONNECT is closed after this long (Socket.IO's
 * default is 45 s): such sessions pass no credential or per-IP check, so they must not linger.
 */
const CONNECT_TIMEOUT_MS = 10_000;

@WebSocketGateway({ maxHttpBufferSize: MAX_MESSAGE_BYTES, connectTimeout: CONNECT_TIMEOUT_MS })
@UseGuards(ControlRateGuard)
@UsePipes(ControlPayloadPipe)
@UseFilters(WsExceptionFilter)
export class StreamingGateway implements OnGatewayConnection, OnGatewayDisconnect {
  constructor(
    private readonly fanOut: FanOut,
    private readonly subscriptions: SubscriptionsService,
    private readonly rate: ControlRateGuard,
  ) {}

  stats(): Record<string, number> {
    return { connectedClients: this.fanOut.clientCount, ...this.fanOut.counters };
  }

  handleConnection(socket: StreamingSocket): void {
    socket.data.client = this.fanOut.addClient(new SocketSink(socket));
    socket.data.control = new ControlQueue();
    socket.onAny(this.onAnyEvent);
  }

  /** One listener shared by every socket (Socket.IO calls it with the socket as `this`). */
  private readonly onAnyEvent = ((gateway: StreamingGateway) =>
    function (this: StreamingSocket, event: string, ...args: unknown[]): void {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args[args.length - 1];
      try {
        gateway.rate.admit(this);
        throw new InvalidPayloadError([
          `unknown event "${String(event).slice(0, 64)}": use subscribe, unsubscribe or subscriptions`,
        ]);
      } catch (err) {
        if (typeof ack === 'function') ack(toAckError(err));
      }
    })(this);

  handleDisconnect(socket: StreamingSocket): void {
    const client = socket.data?.client;
    if (client) this.fanOut.removeClient(client);
  }

  @SubscribeMessage(EVENTS.subscriptions)
  list(@ConnectedSocket() socket: StreamingSocket): Promise<SubscriptionsOk> {
    const { client, control } = socket.data;
    return control.run(() => ({ ok: true, subscriptions: this.subscriptions.list(client) }));
  }

  @SubscribeMessage(EVENTS.unsubscribe)
  unsubscribe(
    @ConnectedSocket() socket: StreamingSocket,
    @MessageBody() dto: UnsubscribeDto,
  ): Promise<SubscriptionsOk> {
    const { client, control } = socket.data;
    return control.run(() => ({
      ok: true,
      subscriptions: this.subscriptions.unsubscribe(client, dto),
    }));
  }

  @SubscribeMessage(EVENTS.subscribe)
  subscribe(
    @ConnectedSocket() socket: StreamingSocket,
    @MessageBody() dto: SubscribeDto,
  ): Promise<SubscribeOk> {
    const { client, control } = socket.data;
    return control.run(() => this.subscriptions.subscribe(client, dto));
  }
}
