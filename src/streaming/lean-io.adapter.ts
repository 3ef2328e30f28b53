// Socket.IO adapter that binds each message handler with one plain listener per socket.
// The stock adapter builds an rxjs pipeline per handler per socket; at 10,000 connections
// that costs more heap than Socket.IO itself. Behaviour is the same: the handler's result
// (sync or a promise) is sent as the acknowledgement. A handler's error goes to the gateway's
// exception filter (WsExceptionFilter answers the acknowledgement); one that escapes is logged.
// Every server it creates passes handshakes through the SocketGate (origin, limits, credential).
import { type INestApplicationContext, Logger } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { SocketGate } from '../access/socket.gate';

type Handler = MessageMappingProperties & { isAckHandledManually?: boolean };

export class LeanIoAdapter extends IoAdapter {
  private readonly log = new Logger('Gateway');

  constructor(private readonly app: INestApplicationContext) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const gate = this.app.get(SocketGate);
    const server = super.createIOServer(port, {
      ...options,
      cors: gate.cors,
    } as ServerOptions) as Server;
    gate.attach(server);
    return server;
  }

  override bindMessageHandlers(
    socket: Socket,
    handlers: Handler[],
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args);
        let result: unknown;
        try {
          result = callback(data, ack);
        } catch (err) {
          this.log.error(err);
          return;
        }
        Promise.resolve(result)
          // Nest wraps handlers so that they resolve to the handler's own result (maybe a promise).
          .then((value) => value)
          .then(
            (response) => {
              if (response === undefined || response === null) return;
              const event = (response as { event?: string; data?: unknown }).event;
              if (event) return void socket.emit(event, (response as { data?: unknown }).data);
              if (!isAckHandledManually && typeof ack === 'function') ack(response);
            },
            (err: unknown) => this.log.error(err),
          );
      });
    }
  }
}
