import { REACTION_EMOJI, type ReactionEmoji } from '@videoapp/protocol';
import { h } from '../dom.ts';

/** How long a reaction floats over its sender's picture before it goes. */
export const REACTION_FLOAT_MS = 3_000;
/** Reactions shown at once over one picture; older ones go first, so a burst cannot cover someone's face. */
export const MAX_FLOATING_REACTIONS = 4;

/** What each reaction is called aloud (the emoji alone reads differently, or not at all, across screen readers). */
export const REACTION_NAMES: Record<ReactionEmoji, string> = {
  '👍': 'Thumbs up',
  '❤️': 'Heart',
  '😂': 'Laughing',
  '👏': 'Applause',
  '🎉': 'Celebrate',
  '😮': 'Surprised',
};

/**
 * The row of reaction buttons the "React" control opens. It stays open for a
 * round of applause; the control or Escape closes it.
 */
export class ReactionPicker {
  readonly element = h('div', { class: 'reaction-picker', id: 'reaction-picker', role: 'group', 'aria-label': 'Reactions', hidden: true });

  constructor(
    send: (emoji: ReactionEmoji) => void,
    /** Opened or closed: the React control says which. */
    private readonly changed: () => void,
  ) {
    for (const emoji of REACTION_EMOJI) {
      const button = h('button', { type: 'button', class: 'reaction', 'data-emoji': emoji, 'aria-label': REACTION_NAMES[emoji], title: REACTION_NAMES[emoji] }, emoji);
      button.addEventListener('click', () => send(emoji));
      this.element.append(button);
    }
    this.element.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      this.toggle(false);
    });
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  toggle(open = !this.open): void {
    this.element.hidden = !open;
    if (open) (this.element.firstElementChild as HTMLElement | null)?.focus();
    this.changed();
  }
}

/** Floats `emoji` over `over` (a tile, or the corner where our own picture is) for REACTION_FLOAT_MS; the motion is dropped for people who asked for less. */
export function floatReaction(over: HTMLElement, emoji: ReactionEmoji): void {
  const floating = over.querySelectorAll(':scope > .reaction-float');
  for (let i = 0; i <= floating.length - MAX_FLOATING_REACTIONS; i++) floating[i]?.remove();
  // Decorative: the live region says who reacted, so this is hidden from screen readers.
  const bubble = h('span', { class: 'reaction-float', 'aria-hidden': 'true', 'data-emoji': emoji }, emoji);
  bubble.style.setProperty('--float-ms', `${REACTION_FLOAT_MS}ms`);
  over.append(bubble);
  setTimeout(() => bubble.remove(), REACTION_FLOAT_MS);
}
