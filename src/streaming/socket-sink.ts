// A Socket.IO socket as the fan-out engine sees it (a ClientSink): packets through Engine.IO, or
// pre-built WebSocket frames straight to the TCP socket when that cannot reorder anything.
import type { Socket } from 'socket.io';
import {
  EVENTS,
  type ClientToServerEvents,
  type Notice,
  type ServerToClientEvents,
} from '../contracts';
import type { ClientSink } from './fan-out';

type TbSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** The `ws` WebSocket under Engine.IO's websocket transport, as far as the fan-out needs it. */
interface RawWebSocket {
  readyState: number;
  bufferedAmount?: number;
  /** Negotiated extensions; '' when none (no permessage-deflate). */
  extensions?: string;
  /** The TCP socket. Not in ws's typings; ws's own Sender writes its frames here. */
  _socket?: { writable: boolean; write(data: string, encoding: 'latin1'): boolean };
}

/** The engine.io connection under a Socket.IO socket, as far as the fan-out needs it. */
interface EngineConn {
  readyState: string;
  write(data: string): void;
  writeBuffer: Array<{ data?: unknown }>;
  transport?: { name: string; socket?: RawWebSocket };
}

const WS_OPEN = 1;

/** A socket as the fan-out sees it; a class, so that 10,000 sockets share one set of methods. */
export class SocketSink implements ClientSink {
  /** The WebSocket last looked at, and its TCP socket when frames may be written there. */
  private ws: RawWebSocket | undefined;
  private tcp: RawWebSocket['_socket'];

  constructor(private readonly socket: TbSocket) {}

  write(packet: string): void {
    (this.socket.conn as unknown as EngineConn).write(packet);
  }

  /**
   * Writes a pre-built WebSocket frame to the TCP socket, skipping Engine.IO's packet queue and
   * ws's framing, which cost more per frame than the fan-out itself. Only when nothing can be
   * reordered: Engine.IO has nothing queued (what it sent is already in the TCP socket's stream,
   * ahead of this frame), the transport is a WebSocket that is open, and no extension
   * (permessage-deflate) is in use. Otherwise false, and the packet goes through Engine.IO.
   */
  writeFrame(frame: string): boolean {
    const conn = this.socket.conn as unknown as EngineConn;
    if (conn.writeBuffer.length !== 0 || conn.readyState !== 'open') return false;
    const transport = conn.transport;
    if (transport?.name !== 'websocket') return false;
    const ws = transport.socket;
    if (ws !== this.ws) {
      // A connection changes its WebSocket at most once (the upgrade from polling).
      this.ws = ws;
      this.tcp =
        ws?.extensions === '' && typeof ws._socket?.write === 'function' ? ws._socket : undefined;
    }
    const tcp = this.tcp;
    if (tcp === undefined || ws?.readyState !== WS_OPEN || !tcp.writable) return false;
    tcp.write(frame, 'latin1');
    return true;
  }

  bufferedBytes(): number {
    const conn = this.socket.conn as unknown as EngineConn;
    let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
    const buffer = conn.writeBuffer;
    for (let i = 0; i < buffer.length; i++) {
      const data = buffer[i].data;
      if (typeof data === 'string') bytes += data.length;
    }
    return bytes;
  }

  notice(notice: Notice): void {
    this.socket.emit(EVENTS.notice, notice);
  }

  disconnect(): void {
    this.socket.disconnect(true);
  }
}
