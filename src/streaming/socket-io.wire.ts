// The Socket.IO wire in one place: the packets the fan-out writes, the WebSocket frame that
// carries one, and the socket sink that hands either to a Socket.IO connection.
//
// Why socket.io is pinned to an exact version in package.json: this file writes Socket.IO v5
// packets and Engine.IO v4 WebSocket frames itself, and reads private fields of engine.io and
// ws (the connection's `writeBuffer`, `transport.socket`, and the ws WebSocket's `_socket`,
// `extensions`, `bufferedAmount`). None of that is public API, so a patch release may change
// it. VERIFIED_WITH names the versions it was checked against; socket-io.wire.spec.ts fails
// when other versions are installed or a real connection lacks one of those fields. To
// upgrade: re-verify each field's meaning in the new engine.io and ws sources, run the unit
// and e2e specs and `npm run bench:fanout`, then update VERIFIED_WITH and package.json.
import type { Socket } from 'socket.io';
import {
  EVENTS,
  type ClientToServerEvents,
  type Notice,
  type ServerToClientEvents,
} from '../contracts';
import type { ClientSink, FanOutWire } from './fan-out';

/** The versions this module was verified with (socket.io's engine.io, and engine.io's ws). */
export const VERIFIED_WITH = { 'socket.io': '4.8.3', 'engine.io': '6.6.12', ws: '8.21.3' } as const;

type TbSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** A Socket.IO EVENT packet (type 2) in the default namespace, without an ack id, up to its array. */
function eventPacketPrefix(event: string): string {
  return `2[${JSON.stringify(event)},[`;
}

/** What FanOut writes for Socket.IO: event packets named from EVENTS, framed for WebSocket. */
export const SOCKET_IO_WIRE: FanOutWire = {
  ticksPrefix: eventPacketPrefix(EVENTS.ticks),
  compactTicksPrefix: eventPacketPrefix(EVENTS.compactTicks),
  candlesPrefix: eventPacketPrefix(EVENTS.candles),
  suffix: ']]',
  frame: engineIoWebSocketFrame,
};

/**
 * The WebSocket frame carrying `packet` as an Engine.IO message, one char per byte: a final,
 * unmasked text frame (RFC 6455, section 5.2) whose payload is '4' (Engine.IO message) followed
 * by the packet. Built once and shared by every socket that sends the same packet; a latin1
 * string, so that writing it is one string write to the TCP socket with no Buffer per socket.
 * The packet must be ASCII: FanOut only frames parts it checked.
 */
export function engineIoWebSocketFrame(packet: string): string {
  const length = packet.length + 1;
  let header: string;
  if (length < 126) {
    header = String.fromCharCode(0x81, length);
  } else if (length < 0x10000) {
    header = String.fromCharCode(0x81, 126, length >>> 8, length & 0xff);
  } else {
    // 64-bit length; a JavaScript string's length fits in the low 32 bits.
    header = String.fromCharCode(
      0x81,
      127,
      0,
      0,
      0,
      0,
      (length >>> 24) & 0xff,
      (length >>> 16) & 0xff,
      (length >>> 8) & 0xff,
      length & 0xff,
    );
  }
  return `${header}4${packet}`;
}

/** The `ws` WebSocket under Engine.IO's websocket transport, as far as the sink needs it. */
export interface RawWebSocket {
  readyState: number;
  bufferedAmount?: number;
  /** Negotiated extensions; '' when none (no permessage-deflate). */
  extensions?: string;
  /** The TCP socket. Not in ws's typings; ws's own Sender writes its frames here. */
  _socket?: { writable: boolean; write(data: string, encoding: 'latin1'): boolean };
}

/** The engine.io connection under a Socket.IO socket, as far as the sink needs it. */
export interface EngineConn {
  readyState: string;
  write(data: string): void;
  writeBuffer: Array<{ data?: unknown }>;
  transport?: { name: string; socket?: RawWebSocket };
}

const WS_OPEN = 1;

/**
 * A Socket.IO socket as the fan-out sees it (a ClientSink): packets through Engine.IO, or
 * pre-built WebSocket frames straight to the TCP socket when that cannot reorder anything.
 * A class, so that 10,000 sockets share one set of methods.
 */
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
