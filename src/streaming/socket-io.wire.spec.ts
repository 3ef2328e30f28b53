import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Server, type Socket } from 'socket.io';
import { io } from 'socket.io-client';
import * as ws from 'ws';
import {
  SOCKET_IO_WIRE,
  SocketSink,
  VERIFIED_WITH,
  engineIoWebSocketFrame,
  type EngineConn,
} from './socket-io.wire';

// ws's frame parser; ws exports it, its type declarations do not.
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => Writable;
};

/** What a WebSocket client's own parser (ws's Receiver) reads out of the bytes. */
function parse(frame: string): Promise<{ text: string; isBinary: boolean }[]> {
  return new Promise((resolve, reject) => {
    const got: { text: string; isBinary: boolean }[] = [];
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      got.push({ text: data.toString(), isBinary });
    });
    receiver.on('error', reject);
    receiver.write(Buffer.from(frame, 'latin1'), () => resolve(got));
  });
}

describe('SOCKET_IO_WIRE', () => {
  it('opens and closes the ticks, t and candles events as Socket.IO EVENT packets', () => {
    const { ticksPrefix, compactTicksPrefix, candlesPrefix, suffix } = SOCKET_IO_WIRE;
    expect(`${compactTicksPrefix}${suffix}`).toBe('2["t",[]]');
    expect(JSON.parse(`${ticksPrefix}1,2${suffix}`.slice(1))).toEqual(['ticks', [1, 2]]);
    expect(`${ticksPrefix}${suffix}`).toBe('2["ticks",[]]');
    expect(`${candlesPrefix}${suffix}`).toBe('2["candles",[]]');
  });
});

describe('engineIoWebSocketFrame', () => {
  it.each([0, 1, 124, 125, 126, 1000, 65_534, 65_535, 65_536, 200_000])(
    'frames a %i-byte packet as one text message an Engine.IO client reads back',
    async (size) => {
      const packet = `2["ticks",[${'x'.repeat(Math.max(0, size - 13))}]]`.slice(0, size);
      const frame = engineIoWebSocketFrame(packet);
      expect(await parse(frame)).toEqual([{ text: `4${packet}`, isBinary: false }]);
    },
  );

  it('uses the shortest length encoding', () => {
    expect(engineIoWebSocketFrame('a'.repeat(124)).length).toBe(2 + 125);
    expect(engineIoWebSocketFrame('a'.repeat(125)).length).toBe(4 + 126);
    expect(engineIoWebSocketFrame('a'.repeat(65_535)).length).toBe(10 + 65_536);
  });
});

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

const REVERIFY =
  'socket-io.wire.ts writes Engine.IO frames itself and reads private fields of engine.io and ws. ' +
  "Re-verify SocketSink against the new engine.io (lib/socket.ts, lib/transports/websocket.ts) and ws (lib/websocket.js) sources, run the e2e specs and bench:fanout, then update VERIFIED_WITH and package.json's exact socket.io version.";

/** Name and version of the package `name` as `from` resolves it (engine.io may nest its own ws). */
function installed(name: string, from: string): { version: string; entry: string } {
  const entry = createRequire(from).resolve(name);
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
    if (pkg.name === name) return { version: pkg.version, entry };
  }
  throw new Error(`no package.json found for ${name} above ${entry}`);
}

describe('the pinned socket.io (why package.json names an exact version)', () => {
  it('is installed with the engine.io and ws versions the wire module was verified with', () => {
    const socketIo = installed('socket.io', resolve('package.json'));
    const engineIo = installed('engine.io', socketIo.entry);
    const wsPkg = installed('ws', engineIo.entry);
    const found = {
      'socket.io': socketIo.version,
      'engine.io': engineIo.version,
      ws: wsPkg.version,
    };
    if (JSON.stringify(found) !== JSON.stringify(VERIFIED_WITH)) {
      throw new Error(
        `Installed ${JSON.stringify(found)}, verified with ${JSON.stringify(VERIFIED_WITH)}. ${REVERIFY}`,
      );
    }
  });

  it('still has, on a real WebSocket connection, every private field SocketSink uses', async () => {
    const http = createServer();
    const server = new Server(http);
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    const { port } = http.address() as AddressInfo;
    const connected = new Promise<Socket>((done) => server.once('connection', done));
    const client = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
    try {
      const socket = await connected;
      const conn = socket.conn as unknown as EngineConn;
      const raw = conn.transport?.socket;
      const problems: string[] = [];
      if (!Array.isArray(conn.writeBuffer)) problems.push('conn.writeBuffer is not an array');
      if (conn.transport?.name !== 'websocket')
        problems.push("conn.transport.name is not 'websocket'");
      if (typeof raw?._socket?.write !== 'function' || typeof raw._socket.writable !== 'boolean') {
        problems.push('conn.transport.socket._socket is not a writable TCP socket');
      }
      if (raw?.extensions !== '') problems.push("conn.transport.socket.extensions is not ''");
      if (typeof raw?.bufferedAmount !== 'number') {
        problems.push('conn.transport.socket.bufferedAmount is not a number');
      }
      if (problems.length) throw new Error(`${problems.join('; ')}. ${REVERIFY}`);

      const got = new Promise<unknown>((done) => client.once('ticks' as never, done));
      const { ticksPrefix, suffix } = SOCKET_IO_WIRE;
      const frame = engineIoWebSocketFrame(`${ticksPrefix}{"seq":1}${suffix}`);
      const sink = new SocketSink(socket);
      if (!sink.writeFrame(frame)) {
        throw new Error(`SocketSink refused to write a frame on an idle connection. ${REVERIFY}`);
      }
      expect(await got).toEqual([{ seq: 1 }]);
      expect(sink.bufferedBytes()).toBe(0);
    } finally {
      client.disconnect();
      await server.close();
    }
  });
});
