import type { Socket } from 'socket.io';
import { SocketSink } from './socket-sink';

/** The parts of a Socket.IO socket, its Engine.IO connection and its ws WebSocket the sink uses. */
function fakeSocket() {
  const tcp = { writable: true, written: [] as string[], encodings: [] as string[] };
  const tcpSocket = {
    get writable() {
      return tcp.writable;
    },
    write(data: string, encoding: string) {
      tcp.written.push(data);
      tcp.encodings.push(encoding);
      return true;
    },
  };
  const ws = { readyState: 1, extensions: '', bufferedAmount: 0, _socket: tcpSocket };
  const conn = {
    readyState: 'open',
    writeBuffer: [] as Array<{ data?: unknown }>,
    transport: { name: 'websocket', socket: ws } as { name: string; socket?: typeof ws },
    packets: [] as string[],
    write(data: string) {
      this.packets.push(data);
    },
  };
  const socket = { conn } as unknown as Socket;
  return { socket, conn, ws, tcp };
}

describe('SocketSink', () => {
  it('writes a frame straight to the TCP socket of an open WebSocket with nothing queued', () => {
    const f = fakeSocket();
    const sink = new SocketSink(f.socket);
    expect(sink.writeFrame('\x81\x03abc')).toBe(true);
    expect(f.tcp.written).toEqual(['\x81\x03abc']);
    expect(f.tcp.encodings).toEqual(['latin1']);
  });

  it('refuses when Engine.IO still holds packets, so that nothing overtakes them', () => {
    const f = fakeSocket();
    const sink = new SocketSink(f.socket);
    f.conn.writeBuffer.push({ data: '3' });
    expect(sink.writeFrame('x')).toBe(false);
    expect(f.tcp.written).toEqual([]);
  });

  it('refuses on long-polling, a closing connection, a closed WebSocket or TCP socket', () => {
    const cases: Array<(f: ReturnType<typeof fakeSocket>) => void> = [
      (f) => (f.conn.transport = { name: 'polling' }),
      (f) => (f.conn.readyState = 'closing'),
      (f) => (f.ws.readyState = 2),
      (f) => (f.tcp.writable = false),
    ];
    for (const change of cases) {
      const f = fakeSocket();
      const sink = new SocketSink(f.socket);
      change(f);
      expect(sink.writeFrame('x')).toBe(false);
      expect(f.tcp.written).toEqual([]);
    }
  });

  it('refuses when the WebSocket negotiated an extension (permessage-deflate may queue frames)', () => {
    const f = fakeSocket();
    f.ws.extensions = 'permessage-deflate';
    expect(new SocketSink(f.socket).writeFrame('x')).toBe(false);
  });

  it('follows the connection to its new WebSocket after an upgrade', () => {
    const f = fakeSocket();
    const sink = new SocketSink(f.socket);
    const ws = f.conn.transport.socket;
    f.conn.transport = { name: 'polling' };
    expect(sink.writeFrame('a')).toBe(false);
    f.conn.transport = { name: 'websocket', socket: ws };
    expect(sink.writeFrame('b')).toBe(true);
    const other = fakeSocket();
    f.conn.transport = other.conn.transport;
    expect(sink.writeFrame('c')).toBe(true);
    expect(f.tcp.written).toEqual(['b']);
    expect(other.tcp.written).toEqual(['c']);
  });

  it('sends packets through Engine.IO and counts its queue in the unsent bytes', () => {
    const f = fakeSocket();
    const sink = new SocketSink(f.socket);
    sink.write('2["ticks",[]]');
    expect(f.conn.packets).toEqual(['2["ticks",[]]']);
    f.ws.bufferedAmount = 100;
    f.conn.writeBuffer.push({ data: '12345' });
    expect(sink.bufferedBytes()).toBe(105);
  });
});
