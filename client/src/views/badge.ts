// The connection badge: live / reconnecting / resumed / stale, and the measured tick-to-screen latency.
import { formatLatency } from '../format';
import type { ConnectionState } from '../connection';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  resumed: 'Resumed',
  reconnecting: 'Reconnecting…',
  stale: 'Stale',
};

const HINTS: Record<ConnectionState, string> = {
  connecting: 'Opening the stream',
  live: 'Prices are streaming',
  resumed: 'Reconnected and caught up from the last update held',
  reconnecting: 'The stream is down; prices shown are the last received',
  stale: 'A usually busy symbol has not updated for a while',
};

export class BadgeView {
  private readonly label: HTMLElement;
  private readonly latency: HTMLElement;
  private state: ConnectionState | null = null;
  private latencyText = '';

  constructor(private readonly host: HTMLElement) {
    host.replaceChildren();
    host.classList.add('badge');
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.setAttribute('aria-hidden', 'true');
    this.label = document.createElement('span');
    this.label.className = 'label';
    this.latency = document.createElement('span');
    this.latency.className = 'latency';
    host.append(dot, this.label, this.latency);
  }

  render(state: ConnectionState, staleSymbol: string | null, p50: number, p95: number): void {
    if (state !== this.state) {
      this.state = state;
      this.host.dataset.state = state;
      this.label.textContent = LABELS[state];
    }
    this.host.title =
      state === 'stale' && staleSymbol ? `${HINTS.stale}: ${staleSymbol}` : HINTS[state];
    const text =
      state === 'reconnecting' || Number.isNaN(p50) ? '' : `tick→screen ${formatLatency(p50)}`;
    if (text !== this.latencyText) {
      this.latencyText = text;
      this.latency.textContent = text;
      this.latency.title = Number.isNaN(p95)
        ? ''
        : `Median of recent ticks; 95th percentile ${formatLatency(p95)}. Assumes the server and this computer agree on the time.`;
    }
  }
}
