// The API key prompt (a modal dialog) and the header's key control ("Enter API key" after the
// prompt was closed, "Forget key" while one is stored). Renders what the AuthGate says; no logic.
import type { AuthState, AuthView } from '../auth';

export interface KeyPromptActions {
  /** False when there was nothing to submit. */
  submit(key: string): boolean;
  dismiss(): void;
  reopen(): void;
  forget(): void;
}

export const REFUSED_TEXT = 'That key was not accepted.';

export class KeyPromptView {
  private readonly form: HTMLFormElement;
  private readonly input: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly status: HTMLElement;
  private readonly control: HTMLButtonElement;
  private readonly off: Array<() => void> = [];
  private last: AuthState = 'open';

  constructor(
    private readonly dialog: HTMLDialogElement,
    controlHost: HTMLElement,
    private readonly actions: KeyPromptActions,
  ) {
    const doc = dialog.ownerDocument;
    const el = <K extends keyof HTMLElementTagNameMap>(tag: K, id = '', text = '') => {
      const e = doc.createElement(tag);
      if (id) e.id = id;
      e.textContent = text;
      return e;
    };

    dialog.replaceChildren();
    dialog.classList.add('key-prompt');
    dialog.setAttribute('aria-labelledby', 'key-title');
    dialog.setAttribute('aria-describedby', 'key-desc');
    this.form = el('form');
    this.form.noValidate = true;
    const title = el('h2', 'key-title', 'API key needed');
    const desc = el(
      'p',
      'key-desc',
      'This server shows market data only to holders of an API key. ' +
        'It is kept in this tab until you close it or forget it.',
    );
    const label = el('label', '', 'API key');
    label.htmlFor = 'key-input';
    this.input = el('input', 'key-input');
    this.input.type = 'password';
    this.input.name = 'api-key';
    this.input.autocomplete = 'off';
    this.input.spellcheck = false;
    this.input.required = true;
    this.input.setAttribute('autocapitalize', 'off');
    this.input.setAttribute('aria-describedby', 'key-error key-status');
    // role=alert: a refusal is announced the moment it is written.
    this.error = el('p', 'key-error');
    this.error.className = 'key-error';
    this.error.setAttribute('role', 'alert');
    this.status = el('p', 'key-status');
    this.status.className = 'key-status';
    this.status.setAttribute('role', 'status');
    const submit = el('button', '', 'Use key');
    submit.type = 'submit';
    submit.className = 'primary';
    const row = el('div');
    row.className = 'key-actions';
    row.append(submit);
    this.form.append(title, desc, label, this.input, this.error, this.status, row);
    dialog.append(this.form);

    controlHost.replaceChildren();
    this.control = el('button', 'key-control');
    this.control.type = 'button';
    this.control.hidden = true;
    controlHost.append(this.control);

    this.listen(this.form, 'submit', (e) => {
      e.preventDefault();
      if (!this.actions.submit(this.input.value)) {
        this.error.textContent = 'Enter a key first.';
        this.input.focus();
      }
    });
    // Escape (the dialog's cancel): the page stays as it is, and the header offers the prompt again.
    this.listen(dialog, 'cancel', (e) => {
      e.preventDefault();
      this.actions.dismiss();
    });
    this.listen(dialog, 'close', () => {
      this.input.value = ''; // the key does not linger in the page
    });
    this.listen(this.control, 'click', () => {
      if (this.control.dataset.act === 'forget') this.actions.forget();
      else this.actions.reopen();
    });
  }

  render(v: AuthView): void {
    const show = v.state !== 'open' && !v.dismissed;
    const refusedNow = v.state === 'refused' && this.last !== 'refused';
    let closedByTrader = false;
    this.error.textContent = v.state === 'refused' ? REFUSED_TEXT : '';
    this.input.setAttribute('aria-invalid', String(v.state === 'refused'));
    this.status.textContent = v.state === 'checking' ? 'Checking the key…' : '';
    this.form.setAttribute('aria-busy', String(v.state === 'checking'));
    if (show && !this.dialog.open) {
      this.dialog.showModal();
      this.input.focus();
    } else if (!show && this.dialog.open) {
      this.dialog.close();
      closedByTrader = v.dismissed;
    }
    // A refused key stays in the box, selected: typing replaces it.
    if (show && refusedNow) this.input.select();
    this.last = v.state;

    const offerPrompt = v.state !== 'open' && v.dismissed;
    this.control.hidden = !v.hasKey && !offerPrompt;
    this.control.dataset.act = v.hasKey ? 'forget' : 'open';
    this.control.textContent = v.hasKey ? 'Forget key' : 'Enter API key';
    this.control.title = v.hasKey
      ? 'Forget the API key kept for this tab and reload the page'
      : 'This server needs an API key';
    // After Escape, keyboard focus lands on the way back in rather than nowhere.
    if (closedByTrader && !this.control.hidden) this.control.focus();
  }

  destroy(): void {
    for (const f of this.off) f();
    if (this.dialog.open) this.dialog.close();
  }

  private listen(el: HTMLElement, type: string, fn: (e: Event) => void): void {
    el.addEventListener(type, fn);
    this.off.push(() => el.removeEventListener(type, fn));
  }
}
