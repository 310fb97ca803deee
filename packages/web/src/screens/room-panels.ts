import { h } from '../dom.ts';

/** A side panel of the room (chat, devices, connection details, shortcuts): one is open at a time. */
export interface RoomPanel {
  readonly id: string;
  readonly title: string;
  readonly body: HTMLElement;
  /** Where focus goes when the panel opens; the close button if absent. */
  readonly focusTarget?: HTMLElement;
  opened?(): void;
  closed?(): void;
}

/**
 * Shows the room's panels beside (desktop) or over (phone) the video. Opening
 * one moves focus into it; closing it (its button, Escape, or its control
 * again) returns focus to the control that opened it.
 */
export class PanelHost {
  readonly element = h('div', { class: 'panel-host' });
  private current: { panel: RoomPanel; section: HTMLElement; opener: HTMLElement | undefined } | undefined;
  onChange: () => void = () => {};

  isOpen(id: string): boolean {
    return this.current?.panel.id === id;
  }

  toggle(panel: RoomPanel, opener?: HTMLElement): void {
    if (this.isOpen(panel.id)) return this.close();
    this.close(false);
    const headingId = `panel-${panel.id}-title`;
    const closeButton = h('button', { type: 'button', class: 'panel-close', 'aria-label': `Close ${panel.title.toLowerCase()}` }, '×');
    closeButton.addEventListener('click', () => this.close());
    const section = h(
      'section',
      { class: `panel panel-${panel.id}`, id: `panel-${panel.id}`, role: 'dialog', 'aria-labelledby': headingId },
      h('header', { class: 'panel-header' }, h('h2', { id: headingId }, panel.title), closeButton),
      panel.body,
    );
    section.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        this.close();
      }
    });
    this.current = { panel, section, opener };
    this.element.replaceChildren(section);
    panel.opened?.();
    (panel.focusTarget ?? closeButton).focus();
    this.onChange();
  }

  /** Closes the open panel; `restoreFocus` false when another panel takes its place. */
  close(restoreFocus = true): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    current.section.remove();
    current.panel.closed?.();
    if (restoreFocus) current.opener?.focus();
    this.onChange();
  }
}
