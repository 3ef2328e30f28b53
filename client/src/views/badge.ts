// The connection badge: live / reconnecting / resumed / stale / paused, the node serving the
// stream (cluster mode), and the measured tick-to-screen latency.
import { formatLatency } from '../format';
import type { ConnectionState } from '../connection';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  resumed: 'Resumed',
  reconnecting: 'Reconnecting…',
  stale: 'Stale',
  paused: 'Paused',
};

const HINTS: Record<ConnectionState, string> = {
  connecting: 'Opening the stream',
  live: 'Prices are streaming',
  resumed: 'Reconnected and caught up from the last update held',
  reconnecting: 'The stream is down; prices shown are the last received',
  stale: 'A usually busy symbol has not updated for a while',
  paused: 'The server has stopped sending prices for now; the connection is up',
};

/** A node name longer than this is shortened in the label (the title holds it whole). */
const NODE_LABEL_MAX = 24;

/** What the badge says about the connection. */
export interface BadgeStatus {
  state: ConnectionState;
  /** The symbol whose silence made the feed stale. */
  stale: string | null;
  /** The node serving the stream, when the server names one (cluster mode). */
  node: string | null;
  /** The server's reason for the pause. */
  pauseMessage: string | null;
}

/** The badge's label and its title (tooltip), pure. */
export function badgeText(s: BadgeStatus): { label: string; title: string } {
  let label = LABELS[s.state];
  let title = HINTS[s.state];
  if (s.state === 'stale' && s.stale) title = `${HINTS.stale}: ${s.stale}`;
  if (s.state === 'paused' && s.pauseMessage) title = s.pauseMessage;
  if (s.node) {
    const short =
      s.node.length > NODE_LABEL_MAX ? `${s.node.slice(0, NODE_LABEL_MAX - 1)}…` : s.node;
    label = `${label} · ${short}`;
    title = `${title} (served by ${s.node})`;
  }
  return { label, title };
}

export class BadgeView {
  private readonly label: HTMLElement;
  private readonly latency: HTMLElement;
  private state: ConnectionState | null = null;
  private labelText = '';
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

  render(status: BadgeStatus, p50: number, p95: number): void {
    const { state } = status;
    if (state !== this.state) {
      this.state = state;
      this.host.dataset.state = state;
    }
    const { label, title } = badgeText(status);
    if (label !== this.labelText) {
      this.labelText = label;
      this.label.textContent = label;
    }
    this.host.title = title;
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
