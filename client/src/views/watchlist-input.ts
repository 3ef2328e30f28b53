// Clicks and keys on the watchlist's rows: select, move (buttons, Alt+↑/↓), remove (button, Delete).
import type { SortKey } from '../preferences';

export interface WatchlistActions {
  select(symbol: string): void;
  remove(symbol: string): void;
  move(symbol: string, delta: number): void;
  sort(key: SortKey): void;
}

export class WatchlistInput {
  private readonly unlisten: Array<() => void> = [];
  private readonly frames = new Set<number>();

  /** Listens on `tbody`; `rowOf` finds a symbol's row once the next frame has redrawn the table. */
  constructor(
    tbody: HTMLTableSectionElement,
    private readonly actions: WatchlistActions,
    private readonly rowOf: (symbol: string) => HTMLTableRowElement | undefined,
  ) {
    const onClick = (e: Event) => this.onClick(e);
    const onKey = (e: KeyboardEvent) => this.onKey(e);
    tbody.addEventListener('click', onClick);
    tbody.addEventListener('keydown', onKey);
    this.unlisten.push(
      () => tbody.removeEventListener('click', onClick),
      () => tbody.removeEventListener('keydown', onKey),
    );
  }

  private onClick(e: Event): void {
    const target = e.target as HTMLElement;
    const tr = target.closest('tr');
    const symbol = tr?.dataset.symbol;
    if (!symbol) return;
    const btn = target.closest<HTMLButtonElement>('button[data-act]');
    const act = btn?.dataset.act;
    if (act === 'remove') this.actions.remove(symbol);
    else if (act === 'up') this.actions.move(symbol, -1);
    else if (act === 'down') this.actions.move(symbol, 1);
    else this.actions.select(symbol);
    if (act === 'up' || act === 'down') {
      // Keep focus on the moved row's button so repeated presses keep moving it.
      this.afterFrame(() => {
        const again = this.rowOf(symbol)?.querySelector<HTMLButtonElement>(
          `button[data-act="${act}"]`,
        );
        const target =
          again && !again.disabled
            ? again
            : this.rowOf(symbol)?.querySelector<HTMLButtonElement>('.sym');
        target?.focus();
      });
    }
  }

  /** Alt+↑/↓ moves the focused row; Delete removes it. */
  private onKey(e: KeyboardEvent): void {
    const tr = (e.target as HTMLElement).closest('tr');
    const symbol = tr?.dataset.symbol;
    if (!symbol) return;
    if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      e.preventDefault();
      this.actions.move(symbol, e.key === 'ArrowUp' ? -1 : 1);
      this.afterFrame(() => this.rowOf(symbol)?.querySelector<HTMLButtonElement>('.sym')?.focus());
    } else if (e.key === 'Delete' && (e.target as HTMLElement).classList.contains('sym')) {
      e.preventDefault();
      const next = tr.nextElementSibling ?? tr.previousElementSibling;
      this.actions.remove(symbol);
      this.afterFrame(() => (next?.querySelector<HTMLButtonElement>('.sym') ?? null)?.focus());
    }
  }

  /** Focus moves after the frame that redraws the rows; destroy() cancels what is pending. */
  private afterFrame(fn: () => void): void {
    const id = requestAnimationFrame(() => {
      this.frames.delete(id);
      fn();
    });
    this.frames.add(id);
  }

  destroy(): void {
    for (const off of this.unlisten) off();
    for (const id of this.frames) cancelAnimationFrame(id);
    this.frames.clear();
  }
}
