// The chart panel's heading: the symbol, then its name, exchange and currency.
import type { Instrument } from '../../../src/contracts';

export class ChartTitleView {
  constructor(private readonly host: HTMLElement) {}

  render(inst: Instrument | null): void {
    if (!inst) {
      this.host.textContent = 'Chart';
      return;
    }
    this.host.replaceChildren();
    const b = document.createElement('span');
    b.className = 'title-sym';
    b.textContent = inst.symbol;
    const small = document.createElement('small');
    small.textContent = `${inst.name} · ${inst.exchange} · ${inst.currency}`;
    this.host.append(b, ' ', small);
  }
}
