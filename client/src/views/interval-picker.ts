// The chart's interval buttons: one per interval, the chosen one pressed.
import { INTERVALS, type Interval } from '../../../src/contracts';

export class IntervalPicker {
  private readonly buttons = new Map<Interval, HTMLButtonElement>();

  constructor(host: HTMLElement, onPick: (interval: Interval) => void) {
    host.replaceChildren();
    for (const iv of INTERVALS) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = iv;
      b.dataset.interval = iv;
      b.addEventListener('click', () => onPick(iv));
      this.buttons.set(iv, b);
      host.append(b);
    }
  }

  render(interval: Interval): void {
    for (const [iv, b] of this.buttons) b.setAttribute('aria-pressed', String(iv === interval));
  }
}
