// Baseline D, the floor for batching in Node: a raw `ws` server that encodes each tick once per batch
// window and writes one pre-encoded frame per socket, shared by every socket with the same symbols.
//
// Protocol: the client sends {"op":"subscribe","symbols":[...],"mode":"full"|"conflated",
// "throttleMs":250} and gets {"op":"ack","ok":true}; ticks then arrive as JSON arrays of ticks.
import { WebSocketServer, type WebSocket } from 'ws';
import type { Tick } from '../../../src/contracts';
import { baselineEnv, createFeed, validSymbols } from './feed';

interface Group {
  symbols: string[];
  sockets: Set<WebSocket>;
  /** 0: every tick, batched; otherwise the latest tick per symbol every throttleMs. */
  throttleMs: number;
}

const env = baselineEnv();
const groups = new Map<string, Group>();
const groupOf = new Map<WebSocket, Group>();
/** Full mode: this window's encoded ticks per symbol, in feed order. */
let pending = new Map<string, string[]>();
/** Conflated mode: latest encoded tick per symbol since the last flush, per throttle. */
const latest = new Map<number, Map<string, string>>();

function leave(ws: WebSocket): void {
  const g = groupOf.get(ws);
  if (!g) return;
  g.sockets.delete(ws);
  groupOf.delete(ws);
}

function join(ws: WebSocket, symbols: string[], throttleMs: number): void {
  leave(ws);
  const sorted = [...new Set(symbols)].sort();
  const key = `${throttleMs}|${sorted.join(',')}`;
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { symbols: sorted, sockets: new Set(), throttleMs }));
  g.sockets.add(ws);
  groupOf.set(ws, g);
  if (throttleMs > 0 && !latest.has(throttleMs)) {
    latest.set(throttleMs, new Map());
    setInterval(() => flushConflated(throttleMs), throttleMs);
  }
}

function send(g: Group, parts: string[]): void {
  if (parts.length === 0 || g.sockets.size === 0) return;
  const frame = Buffer.from(`[${parts.join(',')}]`);
  for (const ws of g.sockets) ws.send(frame, { binary: false });
}

function flushFull(): void {
  const batch = pending;
  if (batch.size === 0) return;
  pending = new Map();
  for (const g of groups.values()) {
    if (g.throttleMs !== 0) continue;
    const parts: string[] = [];
    for (const s of g.symbols) {
      const ticks = batch.get(s);
      if (ticks) for (const t of ticks) parts.push(t);
    }
    send(g, parts);
  }
}

function flushConflated(throttleMs: number): void {
  const last = latest.get(throttleMs);
  if (!last || last.size === 0) return;
  latest.set(throttleMs, new Map());
  for (const g of groups.values()) {
    if (g.throttleMs !== throttleMs) continue;
    const parts: string[] = [];
    for (const s of g.symbols) {
      const t = last.get(s);
      if (t) parts.push(t);
    }
    send(g, parts);
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: env.port, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    let msg: { op?: string; symbols?: unknown; mode?: string; throttleMs?: number };
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return ws.send(JSON.stringify({ op: 'ack', ok: false, error: { code: 'INVALID_PAYLOAD' } }));
    }
    const symbols = msg.op === 'subscribe' ? validSymbols(msg) : undefined;
    if (!symbols) {
      return ws.send(JSON.stringify({ op: 'ack', ok: false, error: { code: 'INVALID_PAYLOAD' } }));
    }
    join(ws, symbols, msg.mode === 'conflated' ? Math.max(50, msg.throttleMs ?? 250) : 0);
    ws.send(JSON.stringify({ op: 'ack', ok: true }));
  });
  ws.on('close', () => leave(ws));
});

const feed = createFeed(env);
feed.subscribe((tick: Tick) => {
  const encoded = JSON.stringify(tick);
  let list = pending.get(tick.symbol);
  if (!list) pending.set(tick.symbol, (list = []));
  list.push(encoded);
  for (const last of latest.values()) last.set(tick.symbol, encoded);
});
wss.on('listening', () => {
  feed.start(new Map());
  setInterval(flushFull, env.batchMs);
});

process.on('SIGTERM', () => {
  feed.stop();
  wss.close();
  process.exit(0);
});
