// The message bar: what failed, in words, with a retry where one helps. Never a blank page.
import type { Message } from '../messages';

export class MessageView {
  private readonly text: HTMLElement;
  private readonly retry: HTMLButtonElement;

  constructor(
    private readonly host: HTMLElement,
    onRetry: () => void,
  ) {
    host.replaceChildren();
    this.text = document.createElement('span');
    this.retry = document.createElement('button');
    this.retry.type = 'button';
    this.retry.textContent = 'Retry now';
    this.retry.addEventListener('click', onRetry);
    host.append(this.text, this.retry);
    host.hidden = true;
  }

  render(msg: Message | null): void {
    this.host.hidden = !msg;
    if (!msg) return;
    this.host.dataset.kind = msg.kind;
    this.text.textContent = msg.text;
    this.retry.hidden = msg.action !== 'retry';
  }
}
