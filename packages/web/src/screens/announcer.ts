import { h } from '../dom.ts';

/** Lines kept in the region: enough for a burst to be read out, few enough that the region stays small. */
const KEPT_LINES = 3;

/**
 * A polite live region for passing events (hands, reactions): each event is
 * a new line, so the same words twice ("Ada reacted 👏" again) are read twice,
 * which replacing the text would not do.
 */
export class Announcer {
  readonly element = h('div', { class: 'visually-hidden announcer', role: 'log', 'aria-live': 'polite', 'aria-label': 'Room events' });

  say(text: string): void {
    this.element.append(h('p', {}, text));
    while (this.element.childElementCount > KEPT_LINES) this.element.firstElementChild?.remove();
  }
}
