import { h } from '../dom.ts';
import type { RoomPanel } from './room-panels.ts';

export type ShortcutAction = 'mic' | 'camera' | 'chat' | 'share' | 'hand' | 'hang-up' | 'help';

interface Shortcut {
  action: ShortcutAction;
  /** In the form of the aria-keyshortcuts attribute, which is also what we show. */
  keys: string;
  does: string;
  matches: (event: KeyboardEvent) => boolean;
}

const plain = (key: string) => (event: KeyboardEvent) => !event.shiftKey && event.key.toLowerCase() === key;

/** Every keyboard shortcut of the room, in the order the help lists them. */
export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'mic', keys: 'M', does: 'Microphone on or off', matches: plain('m') },
  { action: 'camera', keys: 'V', does: 'Camera on or off', matches: plain('v') },
  { action: 'share', keys: 'S', does: 'Share your screen, or stop sharing', matches: plain('s') },
  { action: 'chat', keys: 'C', does: 'Open or close the chat', matches: plain('c') },
  { action: 'hand', keys: 'R', does: 'Raise your hand, or lower it', matches: plain('r') },
  // Shift, so a stray key press cannot end a call.
  { action: 'hang-up', keys: 'Shift+H', does: 'Hang up', matches: (e) => e.shiftKey && e.key.toLowerCase() === 'h' },
  { action: 'help', keys: '?', does: 'Show these shortcuts', matches: (e) => e.key === '?' },
];

export function keysFor(action: ShortcutAction): string {
  return SHORTCUTS.find((s) => s.action === action)!.keys;
}

/** The shortcut a key press means, unless the person is typing or holding a modifier the browser owns. */
export function shortcutFor(event: KeyboardEvent): ShortcutAction | undefined {
  const target = event.target as HTMLElement | null;
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return undefined;
  if (target?.closest('input, textarea, select, [contenteditable]')) return undefined;
  return SHORTCUTS.find((s) => s.matches(event))?.action;
}

export function shortcutsPanel(): RoomPanel {
  const list = h('dl', { class: 'shortcut-list' });
  for (const s of [...SHORTCUTS, { keys: 'Esc', does: 'Close this panel' }]) list.append(h('dt', {}, h('kbd', {}, s.keys)), h('dd', {}, s.does));
  return { id: 'shortcuts', title: 'Keyboard shortcuts', body: h('div', { class: 'panel-body' }, list) };
}
