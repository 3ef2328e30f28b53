// The Socket.IO gateway: control messages with acknowledgements; the fan-out engine does the streaming.
import { Logger, type BeforeApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import {
  EVENTS,
  type AckError,
  type ClientToServerEvents,
  type LiveCandle,
  type ServerToClientEvents,
  type Snapshot,
  type SubscribeAck,
  type Subscription,
  type SubscriptionsAck,
  type Tick,
} from '../contracts';
import { Clock } from '../common/clock';
import { DomainError, InvalidPayloadError, LimitExceededError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { InstrumentsService } from '../instruments/instruments.service';
import { MarketDataBus } from '../market-data/market-data.bus';
import { MarketDataReader } from '../market-data/market-data.reader';
import { RateLimiter, parsePayload } from './control';
import { SubscribeDto, UnsubscribeDto } from './dto/subscribe.dto';
import { DEFAULT_THROTTLE_MS, FanOut, type ClientState } from './fan-out';
import { SocketSink } from './socket-sink';
import { engineIoWebSocketFrame } from './ws-frame';

type TbServer = Server<ClientToServerEvents, ServerToClientEvents>;
type TbSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** Most ticks one resume replays per symbol; a longer gap is reported as unresumable. */
export const MAX_REPLAY_TICKS = 50_000;
const REPLAY_FRAME_TICKS = 1_000;
const KNOWN_EVENTS = new Set<string>([EVENTS.subscribe, EVENTS.unsubscribe, EVENTS.subscriptions]);

interface SocketData {
  client: ClientState;
  limiter: RateLimiter;
}

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

function encodeTicks(ticks: readonly Tick[]): string {
  return `2["ticks",[${ticks.map((t) => JSON.stringify(t)).join(',')}]]`;
}

@WebSocketGateway({ cors: { origin: true }, maxHttpBufferSize: 1_000_000 })
export class StreamingGateway
  implements
    OnGatewayInit,
    OnGatewayConnection,
    OnGatewayDisconnect,
    BeforeApplicationShutdown,
    OnModuleDestroy
{
  @WebSocketServer() server: TbServer;
  private readonly logger = new Logger(StreamingGateway.name);
  private readonly fanOut: FanOut;
  private readonly unsubscribers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly instruments: InstrumentsService,
    private readonly marketData: MarketDataReader,
    private readonly bus: MarketDataBus,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    this.fanOut = new FanOut({
      slowClientBytes: config.slowClientBytes,
      maxClientBytes: config.slowClientBytes * 4,
      degradedThrottleMs: DEFAULT_THROTTLE_MS,
      frame: engineIoWebSocketFrame,
    });
  }

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

  handleConnection(socket: TbSocket): void {
    const data: SocketData = {
      client: this.fanOut.addClient(new SocketSink(socket)),
      limiter: new RateLimiter(this.config.controlRate, this.clock.now()),
    };
    socket.data = data;
    socket.onAny(this.onAnyEvent);
  }

  /** One listener shared by every socket (Socket.IO calls it with the socket as `this`). */
  private readonly onAnyEvent = ((gateway: StreamingGateway) =>
    function (this: TbSocket, event: string, ...args: unknown[]): void {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args[args.length - 1];
      const answer = gateway.control(this, () => {
        throw new InvalidPayloadError([
          `unknown event "${String(event).slice(0, 64)}": use subscribe, unsubscribe or subscriptions`,
        ]);
      });
      if (typeof ack === 'function') ack(answer);
    })(this);

  handleDisconnect(socket: TbSocket): void {
    const data = socket.data as SocketData | undefined;
    if (data?.client) this.fanOut.removeClient(data.client);
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

  /** Rate limit, then run a control handler, mapping every failure to an error acknowledgement. */
  private control<T>(socket: TbSocket, handler: (data: SocketData) => T): T | AckError {
    const data = socket.data as SocketData;
    try {
      data.limiter.take(this.clock.now());
      return handler(data);
    } catch (err) {
      if (data.limiter.flooding()) {
        socket.emit(EVENTS.notice, {
          type: 'disconnecting',
          reason: 'flood',
          message: `Disconnecting: far more than ${this.config.controlRate} control messages per second`,
        });
        socket.disconnect(true);
      }
      if (!(err instanceof DomainError)) this.logger.error(err);
      return toAckError(err);
    }
  }

  @SubscribeMessage(EVENTS.subscriptions)
  subscriptions(@ConnectedSocket() socket: TbSocket): SubscriptionsAck {
    return this.control(socket, ({ client }) => ({
      ok: true as const,
      subscriptions: this.fanOut.subscriptions(client),
    }));
  }

  @SubscribeMessage(EVENTS.unsubscribe)
  unsubscribe(
    @ConnectedSocket() socket: TbSocket,
    @MessageBody() payload: unknown,
  ): SubscriptionsAck {
    return this.control(socket, ({ client }) => {
      const dto = parsePayload(UnsubscribeDto, payload);
      const channel = dto.channel ?? 'ticks';
      // Unsubscribing what is not subscribed, even an unknown symbol, is not an error.
      for (const raw of dto.symbols) {
        const symbol = this.instruments.normalize(raw);
        if (!symbol) continue;
        for (const sub of this.fanOut.subscriptions(client)) {
          if (sub.symbol !== symbol || sub.channel !== channel) continue;
          if (dto.interval && sub.interval !== dto.interval) continue;
          this.fanOut.unsubscribe(client, sub);
        }
      }
      return { ok: true as const, subscriptions: this.fanOut.subscriptions(client) };
    });
  }

  @SubscribeMessage(EVENTS.subscribe)
  async subscribe(
    @ConnectedSocket() socket: TbSocket,
    @MessageBody() payload: unknown,
  ): Promise<SubscribeAck> {
    const checked = this.control(socket, () => this.checkSubscribe(socket, payload));
    if ('ok' in checked) return checked;
    try {
      return await this.applySubscribe(socket, checked);
    } catch (err) {
      if (!(err instanceof DomainError)) this.logger.error(err);
      return toAckError(err);
    }
  }

  private checkSubscribe(socket: TbSocket, payload: unknown): CheckedSubscribe {
    const { client } = socket.data as SocketData;
    const dto = parsePayload(SubscribeDto, payload);
    const channel = dto.channel ?? 'ticks';
    const mode = dto.mode ?? 'full';
    const problems: string[] = [];
    if (channel === 'candles' && !dto.interval) {
      problems.push('interval is required for the candles channel');
    }
    if (channel === 'ticks' && dto.interval) {
      problems.push("interval applies only to the candles channel; use channel: 'candles'");
    }
    if (channel === 'candles' && dto.mode) problems.push('mode applies only to the ticks channel');
    if (dto.throttleMs !== undefined && mode !== 'conflated') {
      problems.push("throttleMs applies only to mode 'conflated'");
    }
    const resume = new Map<string, number>();
    if (dto.resume) {
      if (channel !== 'ticks' || mode !== 'full') {
        problems.push("resume applies only to the ticks channel in mode 'full'");
      }
      const listed = new Set(dto.symbols.map((s) => s.trim().toUpperCase()));
      for (const [key, value] of Object.entries(dto.resume)) {
        const symbol = key.trim().toUpperCase();
        if (!listed.has(symbol)) problems.push(`resume.${key} is not among symbols`);
        else if (!Number.isSafeInteger(value) || value < 0) {
          problems.push(`resume.${key} must be a non-negative integer seq`);
        } else resume.set(symbol, value);
      }
    }
    if (problems.length) throw new InvalidPayloadError(problems);
    const symbols = this.instruments.resolve(dto.symbols);
    const added = symbols.filter(
      (symbol) => !this.fanOut.has(client, { symbol, channel, interval: dto.interval }),
    ).length;
    const total = client.subs.size + added;
    if (total > this.config.maxSubscriptions) {
      throw new LimitExceededError(
        `This subscribe would make ${total} subscriptions; the limit is ${this.config.maxSubscriptions} per connection`,
        { limit: this.config.maxSubscriptions, current: client.subs.size, requested: added },
      );
    }
    return {
      symbols,
      channel,
      interval: dto.interval,
      mode,
      throttleMs: dto.throttleMs ?? DEFAULT_THROTTLE_MS,
      resume,
    };
  }

  private async applySubscribe(socket: TbSocket, req: CheckedSubscribe): Promise<SubscribeAck> {
    const { client } = socket.data as SocketData;
    // Store reads first; everything after them runs without yielding, so no tick slips between
    // a snapshot and the stream.
    const replays = new Map<string, Tick[] | undefined>();
    for (const [symbol, lastSeq] of req.resume) {
      replays.set(symbol, await this.loadReplay(symbol, lastSeq));
    }
    if (client.closed) return { ok: true, subscriptions: [], snapshot: [] };

    const snapshot: Array<Snapshot | LiveCandle> = [];
    const unresumable: string[] = [];
    for (const symbol of req.symbols) {
      if (req.channel === 'candles') {
        const interval = req.interval!;
        if (this.fanOut.has(client, { symbol, channel: 'candles', interval })) continue;
        this.fanOut.subscribeCandles(client, symbol, interval);
        const open = this.marketData.openCandle(symbol, interval);
        if (open) snapshot.push(open);
        continue;
      }
      const current = this.marketData.snapshot(symbol);
      const currentSeq = current?.seq ?? 0;
      const existing = this.fanOut.existing(client, { symbol, channel: 'ticks' });
      const resumeFrom = req.resume.get(symbol);
      if (resumeFrom === undefined) {
        const unchanged =
          existing?.mode === req.mode &&
          (req.mode === 'full' || existing.throttleMs === req.throttleMs);
        if (unchanged) continue;
      } else {
        const replay = this.completeReplay(symbol, resumeFrom, currentSeq, replays.get(symbol));
        if (replay) {
          for (let i = 0; i < replay.length; i += REPLAY_FRAME_TICKS) {
            client.sink.write(encodeTicks(replay.slice(i, i + REPLAY_FRAME_TICKS)));
          }
        } else {
          unresumable.push(symbol);
        }
      }
      if (req.mode === 'full') this.fanOut.restore(client);
      this.fanOut.subscribeTicks(client, symbol, req.mode, currentSeq + 1, req.throttleMs);
      if (current) snapshot.push(current);
    }
    return {
      ok: true,
      subscriptions: this.fanOut.subscriptions(client),
      snapshot,
      ...(unresumable.length ? { unresumable } : {}),
    };
  }

  /** Ticks after lastSeq from memory and store, or undefined when they are no longer kept. */
  private async loadReplay(symbol: string, lastSeq: number): Promise<Tick[] | undefined> {
    const inMemory = this.marketData.recentFirstSeq(symbol);
    if (inMemory !== undefined && inMemory <= lastSeq + 1) return [];
    const ticks = await this.marketData.ticks(symbol, {
      afterSeq: lastSeq,
      order: 'asc',
      limit: MAX_REPLAY_TICKS + 1,
    });
    return ticks.length > MAX_REPLAY_TICKS ? undefined : ticks;
  }

  /** Joins a store replay with the ticks in memory up to `currentSeq`; undefined if there is a gap. */
  private completeReplay(
    symbol: string,
    lastSeq: number,
    currentSeq: number,
    loaded: Tick[] | undefined,
  ): Tick[] | undefined {
    if (!loaded || lastSeq > currentSeq) return undefined;
    const after = loaded.length ? loaded[loaded.length - 1].seq : lastSeq;
    const replay = loaded.concat(this.marketData.recentAfter(symbol, after));
    const expected = currentSeq - lastSeq;
    if (replay.length !== expected) return undefined;
    if (
      expected > 0 &&
      (replay[0].seq !== lastSeq + 1 || replay[expected - 1].seq !== currentSeq)
    ) {
      return undefined;
    }
    return replay;
  }
}

interface CheckedSubscribe {
  symbols: string[];
  channel: Subscription['channel'];
  interval: Subscription['interval'];
  mode: Subscription['mode'];
  throttleMs: number;
  resume: Map<string, number>;
}
