// Baseline B: the gateway a NestJS user writes from the docs, emitting every tick to its symbol's room.
import 'reflect-metadata';
import { Inject, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { SimulatorFeed } from '../../../src/market-data/simulator/simulator.feed';
import { baselineEnv, createFeed, validSymbols } from './feed';

const env = baselineEnv();
const FEED = 'FEED';

@WebSocketGateway({ cors: { origin: true } })
class TicksGateway implements OnModuleInit, OnModuleDestroy {
  @WebSocketServer() server: Server;
  private off: (() => void) | undefined;

  // Explicit token: the benchmark runs through tsx, which emits no decorator metadata.
  constructor(@Inject(FEED) private readonly feed: SimulatorFeed) {}

  onModuleInit(): void {
    this.off = this.feed.subscribe((tick) => this.server.to(tick.symbol).emit('tick', tick));
    this.feed.start(new Map());
  }

  onModuleDestroy(): void {
    this.off?.();
    this.feed.stop();
  }

  @SubscribeMessage('subscribe')
  subscribe(@MessageBody() body: unknown, @ConnectedSocket() client: Socket): unknown {
    const symbols = validSymbols(body);
    if (!symbols) return { ok: false, error: { code: 'INVALID_PAYLOAD' } };
    for (const s of symbols) void client.join(s);
    return { ok: true };
  }
}

@Module({ providers: [TicksGateway, { provide: FEED, useValue: createFeed(env) }] })
class BenchModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(BenchModule, { logger: ['error'] });
  app.enableShutdownHooks();
  await app.listen(env.port, '127.0.0.1');
}

void main();
