import type { Knocker } from '@videoapp/protocol';
import { h } from '../dom.ts';

/**
 * For the host: who is asking to join, each with Admit and Deny. It sits on
 * the call's stage (not in a panel the host must open), and its heading is a
 * polite live region, so a screen reader hears "Ada is asking to join" as it
 * happens. The server sends the first few by name and a count, so however
 * many knock, the list stays short and the call's controls stay in reach.
 */
export class KnockersList {
  readonly element = h('section', { class: 'knockers', 'aria-labelledby': 'knockers-heading', hidden: true });
  private readonly heading = h('h2', { id: 'knockers-heading', 'aria-live': 'polite' });
  private readonly list = h('ul', { class: 'knockers-list' });
  private readonly more = h('p', { class: 'hint', hidden: true });

  constructor(private readonly answer: (knockId: string, answer: 'admit' | 'deny') => void) {
    this.element.append(this.heading, this.list, this.more);
  }

  show(knockers: Knocker[], waiting: number): void {
    this.element.hidden = waiting === 0;
    this.heading.textContent = waiting === 1 ? `${knockers[0]?.name || 'Someone'} is asking to join` : `${waiting} people are asking to join`;
    this.list.replaceChildren(...knockers.map((knocker) => this.item(knocker)));
    const unlisted = waiting - knockers.length;
    this.more.hidden = unlisted <= 0;
    this.more.textContent = `and ${unlisted} more waiting`;
  }

  private item({ id, name }: Knocker): HTMLElement {
    const who = name || 'Guest';
    const button = (answer: 'admit' | 'deny', text: string) => {
      const b = h('button', { type: 'button', class: answer === 'admit' ? 'primary' : '', 'aria-label': `${text} ${who}`, 'data-knock': answer }, text);
      b.addEventListener('click', () => {
        // Answered once: the server's next list drops them.
        for (const other of b.parentElement?.querySelectorAll('button') ?? []) other.disabled = true;
        this.answer(id, answer);
      });
      return b;
    };
    return h('li', { class: 'knocker' }, h('span', { class: 'knocker-name' }, who), button('admit', 'Admit'), button('deny', 'Deny'));
  }
}
