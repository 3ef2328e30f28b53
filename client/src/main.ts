// First dashboard page: connects, subscribes to the default watchlist and shows live prices.
import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  ServerToClientEvents,
  Snapshot,
  Tick,
} from '../../src/contracts';

const WATCHLIST = ['AAPL', 'MSFT', 'NVDA', 'SPY', 'EURUSD', 'BTCUSD', 'ETHUSD', 'XAUUSD'];

const body = document.querySelector('#watchlist tbody') as HTMLTableSectionElement;
const status = document.getElementById('status') as HTMLElement;
const rows = new Map<string, HTMLTableCellElement[]>();
for (const symbol of WATCHLIST) {
  const tr = body.insertRow();
  tr.dataset.symbol = symbol;
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = symbol;
  tr.append(th);
  rows.set(symbol, [tr.insertCell(), tr.insertCell(), tr.insertCell(), tr.insertCell()]);
}

function show(t: Tick | Snapshot): void {
  const cells = rows.get(t.symbol);
  if (!cells) return;
  cells[0].textContent = String(t.last);
  cells[1].textContent = String(t.bid);
  cells[2].textContent = String(t.ask);
  cells[3].textContent = String(t.seq);
}

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
  transports: ['websocket', 'polling'],
});
socket.on('connect', () => {
  status.textContent = 'live';
  socket.emit('subscribe', { symbols: WATCHLIST }, (ack) => {
    if (!ack.ok) {
      status.textContent = `error: ${ack.error.message}`;
      return;
    }
    for (const s of ack.snapshot) if ('seq' in s) show(s);
  });
});
socket.on('disconnect', () => (status.textContent = 'reconnecting…'));
socket.on('ticks', (ticks) => ticks.forEach(show));
