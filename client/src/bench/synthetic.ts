// Benchmark mode (?bench=N): N synthetic instruments and a generated feed, in place of the server,
// to measure this browser's rendering at sizes the real catalog does not reach. Not market data,
// and the page says so.
import type {
  Candle,
  Instrument,
  Interval,
  LiveCandle,
  Snapshot,
  Tick,
} from '../../../src/contracts';
import { INTERVAL_MS, bucketStart } from '../../../src/contracts';
import { Rng } from '../../../src/common/rng';
import { DEFAULTS } from '../../../src/config/defaults';
import type { MarketApi } from '../api';
import type { CandleSelection, MarketStream, StreamOptions } from '../socket';

/** Same window as the server's default BATCH_MS. */
const BATCH_MS = DEFAULTS.batchMs;
/** The server pushes the open candle at most this often. */
const CANDLE_MS = 200;

interface SymState {
  inst: Instrument;
  seq: number;
  last: number;
  volume: number;
  open: number;
  high: number;
  low: number;
}

export interface Synthetic {
  api: MarketApi;
  openStream(opts: StreamOptions): MarketStream;
  symbols: string[];
}

/**
 * `conflateMs` > 0 delivers what the server's conflated mode would: per symbol at most one tick
 * (the latest) per window, except the focused symbol, which gets every tick. 0 delivers all.
 */
export function synthetic(count: number, ticksPerSecond: number, conflateMs: number): Synthetic {
  // Seeded like the simulator, so runs are comparable.
  const rng = new Rng(DEFAULTS.seed);
  const rand = () => rng.next();
  const states = new Map<string, SymState>();
  for (let i = 1; i <= count; i++) {
    const symbol = `SYN${String(i).padStart(3, '0')}`;
    const price = Math.round((20 + rand() * 480) * 100) / 100;
    states.set(symbol, {
      inst: {
        symbol,
        name: `Synthetic instrument ${i}`,
        assetClass: 'equity',
        currency: 'USD',
        exchange: 'BENCH',
        tickSize: 0.01,
        pricePrecision: 2,
      },
      seq: 0,
      last: price,
      volume: 0,
      open: price,
      high: price,
      low: price,
    });
  }
  const symbols = [...states.keys()];

  function tickOf(s: SymState, ts: number): Tick {
    return {
      symbol: s.inst.symbol,
      seq: s.seq,
      ts,
      bid: s.last - 0.01,
      ask: s.last + 0.01,
      bidSize: 500,
      askSize: 400,
      last: s.last,
      size: 100,
      volume: s.volume,
    };
  }

  function snapshot(s: SymState): Snapshot {
    const change = s.last - s.open;
    return {
      ...tickOf(s, Date.now()),
      open: s.open,
      high: s.high,
      low: s.low,
      prevClose: s.open,
      change,
      changePct: (change / s.open) * 100,
    };
  }

  function history(s: SymState, interval: Interval, to: number, limit: number): Candle[] {
    const ms = INTERVAL_MS[interval];
    const end = bucketStart(Math.min(to, Date.now()), interval);
    const out: Candle[] = [];
    let c = s.last;
    for (let i = 0; i < limit; i++) {
      const t = end - i * ms;
      const o = Math.round(c * (1 + (rand() - 0.5) * 0.004) * 100) / 100;
      out.push({ t, o, h: Math.max(o, c) + 0.05, l: Math.min(o, c) - 0.05, c, v: 1000, n: 10 });
      c = o;
    }
    return out.reverse();
  }

  const api: MarketApi = {
    instruments: async () => [...states.values()].map((s) => s.inst),
    latestQuotes: async (list) =>
      list.flatMap((sym) => (states.has(sym) ? [snapshot(states.get(sym)!)] : [])),
    candles: async (symbol, interval, q = {}) => {
      const s = states.get(symbol);
      if (!s) return [];
      return history(s, interval, q.to ?? Date.now() + 1, Math.min(q.limit ?? 500, 500));
    },
  };

  function openStream(opts: StreamOptions): MarketStream {
    const h = opts.handlers;
    const wanted = new Set<string>();
    let candleSel: CandleSelection | null = null;
    let open: LiveCandle | null = null;
    let carry = 0;
    let lastStep = Date.now();
    let focus: string | null = null;
    let candleSentAt = 0;
    /** Conflation: the latest undelivered tick per symbol, and when each symbol last went out. */
    const held = new Map<string, Tick>();
    const sentAt = new Map<string, number>();
    let timer: ReturnType<typeof setInterval> | null = null;

    setTimeout(() => {
      h.connected(false);
      h.synthetic();
      lastStep = Date.now();
      timer = setInterval(step, BATCH_MS);
    }, 50);

    function step() {
      const list = [...wanted];
      if (!list.length) return;
      // By the clock, not the timer: a late timer must not lighten the load being measured.
      const now = Date.now();
      carry += (ticksPerSecond * (now - lastStep)) / 1000;
      lastStep = now;
      const n = Math.floor(carry);
      carry -= n;
      const generated: Tick[] = [];
      for (let i = 0; i < n; i++) {
        const s = states.get(list[Math.floor(rand() * list.length)])!;
        s.seq++;
        s.last = Math.max(0.01, Math.round((s.last + (rand() - 0.5) * 0.1) * 100) / 100);
        s.volume += 100;
        if (s.last > s.high) s.high = s.last;
        if (s.last < s.low) s.low = s.last;
        generated.push(tickOf(s, now));
        if (candleSel && s.inst.symbol === candleSel.symbol) {
          const t = bucketStart(now, candleSel.interval);
          if (!open || open.t !== t) {
            open = {
              ...candleSel,
              t,
              o: s.last,
              h: s.last,
              l: s.last,
              c: s.last,
              v: 0,
              n: 0,
              closed: false,
            };
          }
          open.h = Math.max(open.h, s.last);
          open.l = Math.min(open.l, s.last);
          open.c = s.last;
          open.v += 100;
          open.n++;
        }
      }
      let batch = generated;
      if (conflateMs > 0) {
        batch = [];
        for (const t of generated) {
          if (t.symbol === focus) batch.push(t);
          else held.set(t.symbol, t);
        }
        for (const [sym, t] of held) {
          if (now - (sentAt.get(sym) ?? 0) < conflateMs) continue;
          batch.push(t);
          held.delete(sym);
          sentAt.set(sym, now);
        }
      }
      if (batch.length) h.ticks(batch);
      // As often as the server sends the open candle, at most.
      if (open && now - candleSentAt >= CANDLE_MS) {
        candleSentAt = now;
        h.candles([{ ...open }]);
      }
    }

    return {
      setSymbols(list) {
        const added = list.filter((s) => !wanted.has(s));
        wanted.clear();
        for (const s of list) if (states.has(s)) wanted.add(s);
        setTimeout(() => {
          h.snapshots(added.flatMap((s) => (states.has(s) ? [snapshot(states.get(s)!)] : [])));
          h.modes(
            added.filter((sym) => conflateMs === 0 || sym === focus),
            'full',
          );
        }, 0);
      },
      setFocus(symbol) {
        focus = symbol;
        if (symbol) h.modes([symbol], 'full');
      },
      setCandles(sel) {
        candleSel = sel;
        open = null;
        if (sel) setTimeout(() => h.candleStatus(sel, true), 0);
      },
      get isConnected() {
        return timer !== null;
      },
      reconnect() {
        // Never refused: there is no server to refuse it.
      },
      close() {
        if (timer) clearInterval(timer);
        timer = null;
      },
    };
  }

  return { api, openStream, symbols };
}
