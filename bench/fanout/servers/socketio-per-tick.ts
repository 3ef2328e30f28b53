// Baseline C: a raw socket.io server that emits every tick to its symbol's room.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { baselineEnv, createFeed, validSymbols } from './feed';

const env = baselineEnv();
const http = createServer();
const io = new Server(http, { cors: { origin: true } });

io.on('connection', (socket) => {
  socket.on('subscribe', (payload: unknown, ack?: (res: unknown) => void) => {
    const symbols = validSymbols(payload);
    if (!symbols) return ack?.({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    for (const s of symbols) void socket.join(s);
    ack?.({ ok: true });
  });
});

const feed = createFeed(env);
feed.subscribe((tick) => io.to(tick.symbol).emit('tick', tick));
http.listen(env.port, '127.0.0.1', () => feed.start(new Map()));

process.on('SIGTERM', () => {
  feed.stop();
  void io.close();
  process.exit(0);
});
