// The Socket.IO gateway: control messages in, acknowledgements out; the fan-out engine streams.
import {
  type BeforeApplicationShutdown,
  type OnModuleDestroy,
  UseFilters,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { EVENTS, type SubscribeOk, type SubscriptionsOk } from '../contracts';
import { Clock } from '../common/clock';
import { InvalidPayloadError } from '../common/errors';
import { WsExceptionFilter, toAckError } from '../common/ws-exception.filter';
import { AppConfig } from '../config/app-config';
import { MarketDataBus } from '../market-data/market-data.bus';
import { ControlPayloadPipe } from './control-payload.pipe';
import { ControlRateGuard } from './control-rate.guard';
import { SubscribeDto, UnsubscribeDto } from './dto/subscribe.dto';
import { FanOut } from './fan-out';
import { SocketSink } from './socket-io.wire';
import type { StreamingSocket } from './streaming.socket';
import { SubscriptionsService } from './subscriptions.service';

const KNOWN_EVENTS = new Set<string>([EVENTS.subscribe, EVENTS.unsubscribe, EVENTS.subscriptions]);

@WebSocketGateway({ cors: { origin: true }, maxHttpBufferSize: 1_000_000 })
@UseGuards(ControlRateGuard)
@UsePipes(ControlPayloadPipe)
@UseFilters(WsExceptionFilter)
export class StreamingGateway
  implements
    OnGatewayInit,
    OnGatewayConnection,
    OnGatewayDisconnect,
    BeforeApplicationShutdown,
    OnModuleDestroy
{
  private readonly unsubscribers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly fanOut: FanOut,
    private readonly subscriptions: SubscriptionsService,
    private readonly rate: ControlRateGuard,
    private readonly bus: MarketDataBus,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  stats(): Record<string, number> {
    return { connectedClients: this.fanOut.clientCount, ...this.fanOut.counters };
  }

  afterInit(): void {
    const fanOut = this.fanOut;
    if (this.config.batchMs > 0) {
      this.unsubscribers.push(this.bus.onTick((tick) => fanOut.onTick(tick)));
      this.timer = setInterval(() => fanOut.flush(this.clock.now()), this.config.batchMs);
    } else {
      this.unsubscribers.push(
        this.bus.onTick((tick) => {
          fanOut.onTick(tick);
          fanOut.flush(this.clock.now());
        }),
      );
      // Conflated subscriptions still need a clock when no tick arrives.
      this.timer = setInterval(() => fanOut.flush(this.clock.now()), 25);
    }
    this.unsubscribers.push(this.bus.onCandles((candles) => fanOut.onCandles(candles)));
  }

  handleConnection(socket: StreamingSocket): void {
    socket.data.client = this.fanOut.addClient(new SocketSink(socket));
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

  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.fanOut.flush(this.clock.now());
    this.fanOut.broadcastNotice({
      type: 'shutdown',
      message: 'The server is shutting down; reconnect and resume from your last seq',
    });
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  @SubscribeMessage(EVENTS.subscriptions)
  list(@ConnectedSocket() socket: StreamingSocket): SubscriptionsOk {
    return { ok: true, subscriptions: this.subscriptions.list(socket.data.client) };
  }

  @SubscribeMessage(EVENTS.unsubscribe)
  unsubscribe(
    @ConnectedSocket() socket: StreamingSocket,
    @MessageBody() dto: UnsubscribeDto,
  ): SubscriptionsOk {
    return { ok: true, subscriptions: this.subscriptions.unsubscribe(socket.data.client, dto) };
  }

  @SubscribeMessage(EVENTS.subscribe)
  subscribe(
    @ConnectedSocket() socket: StreamingSocket,
    @MessageBody() dto: SubscribeDto,
  ): Promise<SubscribeOk> {
    return this.subscriptions.subscribe(socket.data.client, dto);
  }
}
