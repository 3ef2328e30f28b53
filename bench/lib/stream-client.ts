// A deliberately thin streaming client for load generation: Engine.IO v4 / Socket.IO framing over
// `ws` (for Tickerboard and the socket.io baselines) or plain JSON frames (for the raw ws baseline).
// Ticks are found by scanning the frame text instead of JSON.parse, so that one core can check
// millions of ticks per second; a sample of frames is fully parsed to prove the scan right.
// Compact frames (`t` events) are parsed and decoded whole, as a client of them must.
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { CompactTickDecoder } from '../../src/contracts';
import { CATALOG } from '../../src/instruments/catalog';
import { socketIoConnectPacket } from './auth';

export type Protocol = 'socketio' | 'ws';

export const SYMBOL_LIST: readonly string[] = CATALOG.map((e) => e.symbol);
const SYMBOL_INDEX = new Map(SYMBOL_LIST.map((s, i) => [s, i]));

export interface SubscribeRequest {
  symbols: string[];
  mode?: 'full' | 'conflated';
  throttleMs?: number;
  encoding?: 'compact';
}

/** Counters shared by all clients of one process; `resetWindow` starts a measuring window. */
export class Tally {
  ticks = 0;
  frames = 0;
  bytes = 0;
  lost = 0;
  duplicates = 0;
  notices = 0;
  formatErrors = 0;
  /** Highest seq seen per symbol index, over all clients. */
  readonly maxSeq = new Float64Array(SYMBOL_LIST.length);
  readonly latency = hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
  totalLost = 0;
  totalDuplicates = 0;
  totalTicks = 0;
  private sampled = 0;

  resetWindow(): void {
    this.ticks = this.frames = this.bytes = this.lost = this.duplicates = this.notices = 0;
    this.latency.reset();
  }

  /** Every 512th tick frame is parsed for real and must agree with the scan. */
  shouldVerify(): boolean {
    return (++this.sampled & 511) === 0;
  }
}

export class StreamClient {
  /** Last seq per symbol index; 0 before the first tick. */
  readonly lastSeq = new Float64Array(SYMBOL_LIST.length);
  bytesIn = 0;
  closedUnexpectedly = false;
  /** Called for every tick that is not a duplicate, with its receipt time. */
  onTick: ((symbolIndex: number, seq: number, ts: number, receivedAt: number) => void) | undefined;
  private ws: WebSocket | undefined;
  private ackId = 0;
  private readonly acks = new Map<number, (payload: unknown) => void>();
  private wsAck: ((payload: unknown) => void) | undefined;
  private closing = false;
  /** Made on the first compact frame. */
  private decoder: CompactTickDecoder | undefined;

  constructor(
    private readonly url: string,
    private readonly protocol: Protocol,
    private readonly tally: Tally,
    /** Full mode: every gap in seq is a loss. Conflated mode skips seqs by design. */
    private readonly checkGaps = true,
  ) {}

  connect(timeoutMs = 15_000): Promise<void> {
    const target =
      this.protocol === 'socketio'
        ? `${this.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`
        : this.url.replace(/^http/, 'ws');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('connect timed out')), timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        ws.terminate();
        reject(err);
      };
      const ws = new WebSocket(target, { perMessageDeflate: false });
      this.ws = ws;
      ws.on('error', (err) => fail(err));
      ws.on('close', () => {
        if (!this.closing) this.closedUnexpectedly = true;
      });
      if (this.protocol === 'ws') {
        ws.on('open', () => {
          clearTimeout(timer);
          resolve();
        });
      }
      ws.on('message', (data: Buffer) => {
        const now = Date.now();
        this.bytesIn += data.length;
        this.tally.bytes += data.length;
        const text = data.toString('latin1');
        if (this.protocol === 'ws') return this.onWsFrame(text, now);
        switch (text.charCodeAt(0)) {
          case 52 /* 4: socket.io packet */:
            return this.onSocketIo(text, now, () => {
              clearTimeout(timer);
              resolve();
            });
          case 50 /* 2: ping */:
            return ws.send('3');
          case 48 /* 0: open */:
            return ws.send(socketIoConnectPacket());
        }
      });
    });
  }

  subscribe(req: SubscribeRequest, timeoutMs = 15_000): Promise<unknown> {
    const ws = this.ws;
    if (!ws) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('subscribe ack timed out')), timeoutMs);
      const done = (payload: unknown): void => {
        clearTimeout(timer);
        const ok = (payload as { ok?: boolean } | undefined)?.ok;
        if (ok === false) reject(new Error(`subscribe refused: ${JSON.stringify(payload)}`));
        else resolve(payload);
      };
      if (this.protocol === 'ws') {
        this.wsAck = done;
        ws.send(JSON.stringify({ op: 'subscribe', ...req }));
      } else {
        const id = this.ackId++;
        this.acks.set(id, done);
        ws.send(`42${id}${JSON.stringify(['subscribe', req])}`);
      }
    });
  }

  close(): void {
    this.closing = true;
    this.ws?.terminate();
  }

  /** Bytes read and written on the TCP connection (WebSocket framing and HTTP upgrade included). */
  wireBytes(): number {
    const s = (this.ws as unknown as { _socket?: { bytesRead: number; bytesWritten: number } })
      ?._socket;
    return s ? s.bytesRead + s.bytesWritten : 0;
  }

  private onWsFrame(text: string, now: number): void {
    if (text.charCodeAt(0) === 91 /* [ */) return this.onTicks(text, 0, now);
    if (text.startsWith('{"op":"ack"')) {
      const ack = this.wsAck;
      this.wsAck = undefined;
      ack?.(JSON.parse(text));
    }
  }

  private onSocketIo(text: string, now: number, connected: () => void): void {
    const type = text.charCodeAt(1);
    if (type === 50 /* 2: event */) {
      if (text.startsWith('42["tick')) return this.onTicks(text, 2, now);
      if (text.startsWith('42["t",')) return this.onCompact(text, now);
      if (text.startsWith('42["notice"')) this.tally.notices++;
      return;
    }
    if (type === 51 /* 3: ack */) {
      let i = 2;
      while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
      const id = Number(text.slice(2, i));
      const payload = JSON.parse(text.slice(i)) as unknown[];
      const cb = this.acks.get(id);
      this.acks.delete(id);
      cb?.(payload[0]);
      return;
    }
    if (type === 48 /* 0: namespace connected */) return connected();
    if (type === 52 /* 4: connect error */) this.closedUnexpectedly = true;
  }

  private onTicks(text: string, from: number, now: number): void {
    const tally = this.tally;
    tally.frames++;
    const n = scanTicks(text, from, (sym, seq, ts) => this.received(sym, seq, ts, now));
    tally.ticks += n;
    tally.totalTicks += n;
    if (tally.shouldVerify() && countTicksParsed(text.slice(from)) !== n) tally.formatErrors++;
  }

  /** A `t` frame: decoded into ticks, each checked like a scanned JSON tick. */
  private onCompact(text: string, now: number): void {
    const tally = this.tally;
    tally.frames++;
    let n = 0;
    try {
      const [, frame] = JSON.parse(text.slice(2)) as [string, unknown];
      const ticks = (this.decoder ??= new CompactTickDecoder()).decode(frame);
      for (const t of ticks) {
        const sym = SYMBOL_INDEX.get(t.symbol);
        if (sym === undefined) continue;
        this.received(sym, t.seq, t.ts, now);
        n++;
      }
    } catch {
      tally.formatErrors++;
    }
    tally.ticks += n;
    tally.totalTicks += n;
  }

  /** One tick: seq continuity per symbol (full mode), latency, and the window's counts. */
  private received(sym: number, seq: number, ts: number, now: number): void {
    const tally = this.tally;
    const last = this.lastSeq[sym];
    if (last !== 0) {
      if (seq === last + 1) {
        // in order
      } else if (seq <= last) {
        tally.duplicates++;
        tally.totalDuplicates++;
        return;
      } else if (this.checkGaps) {
        tally.lost += seq - last - 1;
        tally.totalLost += seq - last - 1;
      }
    }
    this.lastSeq[sym] = seq;
    if (seq > tally.maxSeq[sym]) tally.maxSeq[sym] = seq;
    tally.latency.recordValue(now > ts ? now - ts : 0);
    this.onTick?.(sym, seq, ts, now);
  }
}

/** Calls `onTick` for every flat object holding "symbol", "seq" and "ts" in `text`, from `from`. */
export function scanTicks(
  text: string,
  from: number,
  onTick: (symbolIndex: number, seq: number, ts: number) => void,
): number {
  let count = 0;
  let i = text.indexOf('"symbol":"', from);
  while (i >= 0) {
    const objStart = text.lastIndexOf('{', i);
    const objEnd = text.indexOf('}', i);
    const symEnd = text.indexOf('"', i + 10);
    const sym = SYMBOL_INDEX.get(text.slice(i + 10, symEnd));
    const seq = intAfter(text, '"seq":', objStart, objEnd);
    const ts = intAfter(text, '"ts":', objStart, objEnd);
    if (sym !== undefined && seq > 0 && ts > 0) {
      onTick(sym, seq, ts);
      count++;
    }
    i = text.indexOf('"symbol":"', objEnd);
  }
  return count;
}

function intAfter(text: string, key: string, start: number, end: number): number {
  const k = text.indexOf(key, start);
  if (k < 0 || k > end) return -1;
  let v = 0;
  for (let j = k + key.length; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return v;
}

function countTicksParsed(json: string): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.symbol === 'string' && typeof o.seq === 'number' && typeof o.ts === 'number')
        n++;
      else Object.values(o).forEach(walk);
    }
  };
  walk(JSON.parse(json));
  return n;
}

/** Opens `count` clients, at most `concurrency` handshakes at a time. */
export async function inPool<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}
