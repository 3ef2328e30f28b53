// The Socket.IO gateway: subscribe/unsubscribe with acknowledgements; ticks go to one room per symbol.
import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { Server, Socket } from 'socket.io';
import {
  EVENTS,
  roomName,
  type AckError,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SubscribeAck,
  type Subscription,
  type SubscriptionsAck,
} from '../contracts';
import { DomainError, InvalidPayloadError } from '../common/errors';
import { describeValidationErrors } from '../common/validation';
import { InstrumentsService } from '../instruments/instruments.service';
import { MarketDataBus } from '../market-data/market-data.bus';
import { MarketDataService } from '../market-data/market-data.service';
import { SubscribeDto, UnsubscribeDto } from './dto/subscribe.dto';

type TbServer = Server<ClientToServerEvents, ServerToClientEvents>;
type TbSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export function toAckError(err: unknown): AckError {
  if (err instanceof DomainError) {
    return {
      ok: false,
      error: {
        code: err.code,
        message: err.message,
        ...(err.details !== undefined ? { details: err.details } : {}),
      },
    };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'Internal error' } };
}

function parse<T extends object>(cls: new () => T, payload: unknown): T {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidPayloadError(['payload must be an object such as {"symbols": ["AAPL"]}']);
  }
  const dto = plainToInstance(cls, payload);
  const errors = validateSync(dto, { whitelist: true });
  if (errors.length) throw new InvalidPayloadError(describeValidationErrors(errors));
  return dto;
}

@WebSocketGateway({ cors: { origin: true } })
export class StreamingGateway implements OnModuleInit, OnModuleDestroy {
  @WebSocketServer() server: TbServer;
  private readonly logger = new Logger(StreamingGateway.name);
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly instruments: InstrumentsService,
    private readonly marketData: MarketDataService,
    private readonly bus: MarketDataBus,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.onTick((tick) => {
      this.server?.to(roomName('ticks', tick.symbol)).emit(EVENTS.ticks, [tick]);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  private subscriptionsOf(socket: TbSocket): Subscription[] {
    const out: Subscription[] = [];
    for (const room of socket.rooms) {
      if (room.startsWith('t:'))
        out.push({ symbol: room.slice(2), channel: 'ticks', mode: 'full' });
    }
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  @SubscribeMessage(EVENTS.subscribe)
  subscribe(@ConnectedSocket() socket: TbSocket, @MessageBody() payload: unknown): SubscribeAck {
    try {
      const dto = parse(SubscribeDto, payload);
      const symbols = this.instruments.resolve(dto.symbols);
      const snapshot = [];
      for (const symbol of symbols) {
        const room = roomName('ticks', symbol);
        if (socket.rooms.has(room)) continue;
        void socket.join(room);
        const s = this.marketData.snapshot(symbol);
        if (s) snapshot.push(s);
      }
      return { ok: true, subscriptions: this.subscriptionsOf(socket), snapshot };
    } catch (err) {
      return toAckError(err);
    }
  }

  @SubscribeMessage(EVENTS.unsubscribe)
  unsubscribeSymbols(
    @ConnectedSocket() socket: TbSocket,
    @MessageBody() payload: unknown,
  ): SubscriptionsAck {
    try {
      const dto = parse(UnsubscribeDto, payload);
      const symbols = this.instruments.resolve(dto.symbols);
      for (const symbol of symbols) void socket.leave(roomName('ticks', symbol));
      return { ok: true, subscriptions: this.subscriptionsOf(socket) };
    } catch (err) {
      return toAckError(err);
    }
  }
}
