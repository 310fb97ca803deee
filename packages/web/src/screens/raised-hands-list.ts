import { h } from '../dom.ts';

export interface RaisedHandsEntry {
  peerId: string;
  /** "You" for ourselves. */
  name: string;
  self: boolean;
  /** The host sees a "Lower hand" button beside everyone else's raised hand. */
  canLower: boolean;
}

/**
 * Who has a hand up, in the order they raised it, so whoever runs the call
 * can take them in turn. Shown on the stage while any hand is up.
 */
export class RaisedHandsList {
  private readonly list = h('ol', { class: 'raised-hands-list' });
  readonly element = h('section', { class: 'raised-hands', 'aria-labelledby': 'raised-hands-title', hidden: true }, h('h2', { id: 'raised-hands-title' }, 'Raised hands'), this.list);

  constructor(private readonly lower: (peerId: string) => void) {}

  render(entries: RaisedHandsEntry[]): void {
    this.element.hidden = entries.length === 0;
    this.list.replaceChildren(
      ...entries.map(({ peerId, name, self, canLower }) => {
        const item = h('li', { 'data-peer-id': peerId }, h('span', { class: 'raised-hand-name' }, name));
        if (canLower) {
          // The visible words lead the spoken name, so "click Lower hand" works by voice.
          const button = h('button', { type: 'button', class: 'lower-hand', 'aria-label': self ? 'Lower hand (yours)' : `Lower hand of ${name}` }, 'Lower hand');
          button.addEventListener('click', () => this.lower(peerId));
          item.append(button);
        }
        return item;
      }),
    );
  }
}
