// The add box: an ARIA combobox over the catalog (symbol or name), fully usable from the keyboard.
import type { Instrument } from '../../../src/contracts';

export interface SearchSource {
  search(query: string): Instrument[];
  has(symbol: string): boolean;
  add(symbol: string): void;
}

export class SearchView {
  private readonly input: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private results: Instrument[] = [];
  private active = -1;
  private readonly off: Array<() => void> = [];

  constructor(
    host: HTMLElement,
    private readonly source: SearchSource,
  ) {
    host.replaceChildren();
    host.classList.add('search');
    const label = document.createElement('label');
    label.htmlFor = 'add-symbol';
    label.className = 'sr-only';
    label.textContent = 'Add a symbol to the watchlist';
    this.input = document.createElement('input');
    this.input.id = 'add-symbol';
    this.input.type = 'search';
    this.input.autocomplete = 'off';
    this.input.spellcheck = false;
    this.input.placeholder = 'Add symbol or name…';
    this.input.setAttribute('role', 'combobox');
    this.input.setAttribute('aria-autocomplete', 'list');
    this.input.setAttribute('aria-expanded', 'false');
    this.input.setAttribute('aria-controls', 'add-options');
    this.list = document.createElement('ul');
    this.list.id = 'add-options';
    this.list.setAttribute('role', 'listbox');
    this.list.setAttribute('aria-label', 'Matching instruments');
    this.list.hidden = true;
    host.append(label, this.input, this.list);

    this.listen(this.input, 'input', () => this.update());
    this.listen(this.input, 'keydown', (e) => this.onKey(e as KeyboardEvent));
    this.listen(this.input, 'blur', () => setTimeout(() => this.close(), 150));
    this.listen(this.list, 'mousedown', (e) => e.preventDefault());
    this.listen(this.list, 'click', (e) => {
      const li = (e.target as HTMLElement).closest<HTMLLIElement>('li[data-symbol]');
      if (li) this.choose(li.dataset.symbol!);
    });
  }

  setEnabled(on: boolean): void {
    this.input.disabled = !on;
    this.input.placeholder = on ? 'Add symbol or name…' : 'Loading instruments…';
  }

  private listen(el: HTMLElement, type: string, fn: (e: Event) => void): void {
    el.addEventListener(type, fn);
    this.off.push(() => el.removeEventListener(type, fn));
  }

  private update(): void {
    this.results = this.source.search(this.input.value);
    this.active = this.results.findIndex((r) => !this.source.has(r.symbol));
    this.renderList();
  }

  private renderList(): void {
    const q = this.input.value.trim();
    this.list.replaceChildren();
    if (!q) return this.close();
    if (this.results.length === 0) {
      const li = document.createElement('li');
      li.className = 'none';
      li.textContent = `No instrument matches “${q}”`;
      this.list.append(li);
    }
    this.results.forEach((inst, i) => {
      const li = document.createElement('li');
      li.id = `add-opt-${i}`;
      li.setAttribute('role', 'option');
      li.dataset.symbol = inst.symbol;
      const added = this.source.has(inst.symbol);
      if (added) li.setAttribute('aria-disabled', 'true');
      li.setAttribute('aria-selected', String(i === this.active));
      const sym = document.createElement('b');
      sym.textContent = inst.symbol;
      const name = document.createElement('span');
      name.textContent = ` ${inst.name}`;
      const meta = document.createElement('small');
      meta.textContent = added ? ' in watchlist' : ` ${inst.exchange} · ${inst.currency}`;
      li.append(sym, name, meta);
      this.list.append(li);
    });
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.syncActive();
  }

  private syncActive(): void {
    const items = this.list.querySelectorAll<HTMLLIElement>('li[role="option"]');
    items.forEach((li, i) => li.setAttribute('aria-selected', String(i === this.active)));
    if (this.active >= 0 && items[this.active]) {
      this.input.setAttribute('aria-activedescendant', items[this.active].id);
      items[this.active].scrollIntoView({ block: 'nearest' });
    } else {
      this.input.removeAttribute('aria-activedescendant');
    }
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.results.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (this.list.hidden) this.update();
      if (!n) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + n) % n;
      this.syncActive();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const pick = this.results[this.active] ?? this.results[0];
      if (pick) this.choose(pick.symbol);
    } else if (e.key === 'Escape') {
      if (this.input.value) this.input.value = '';
      this.close();
    }
  }

  private choose(symbol: string): void {
    if (this.source.has(symbol)) return;
    this.source.add(symbol);
    this.input.value = '';
    this.close();
  }

  private close(): void {
    this.results = [];
    this.active = -1;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  focus(): void {
    this.input.focus();
  }

  destroy(): void {
    for (const f of this.off) f();
  }
}
