import { h } from '../dom.ts';
import { keysFor, type ShortcutAction } from './shortcuts.ts';

export type ControlAction = 'mic' | 'camera' | 'switch-camera' | 'share' | 'chat' | 'devices' | 'copy-link' | 'help' | 'lock' | 'hang-up' | 'blur';

/** What the control bar shows; derived by the room from its media, panels and chat. */
export interface ControlsView {
  hasMic: boolean;
  micOn: boolean;
  cameraOn: boolean;
  cameraCount: number;
  /** Background blur chosen (it may still be starting). */
  blur: boolean;
  canShare: boolean;
  sharing: boolean;
  unread: number;
  openPanel: string | undefined;
  /** The room's creator, who alone may lock it. */
  host: boolean;
  locked: boolean;
}

/**
 * The call's control bar. Its order is the keyboard's focus order: what is
 * used most first, hang-up last. Every button has a spoken label, and those
 * with a shortcut announce it (aria-keyshortcuts) and show it in the tooltip.
 */
export class RoomControls {
  readonly element: HTMLElement;
  private readonly buttons = new Map<ControlAction, HTMLButtonElement>();

  constructor(act: (action: ControlAction, button: HTMLButtonElement) => void) {
    const make = (action: ControlAction, text: string, extraClass = '') => {
      const button = h('button', { type: 'button', class: `control ${extraClass}`.trim(), 'data-control': action });
      button.textContent = text;
      button.addEventListener('click', () => act(action, button));
      this.buttons.set(action, button);
      return button;
    };
    this.element = h(
      'nav',
      { class: 'controls', 'aria-label': 'Call controls' },
      make('mic', 'Mute'),
      make('camera', 'Camera off'),
      make('switch-camera', 'Flip'),
      make('blur', 'Blur'),
      make('share', 'Share'),
      make('chat', 'Chat'),
      make('devices', 'Devices'),
      // On a touch-only device the waiting banner's share box (with the system share sheet) does this job.
      make('copy-link', 'Copy link', 'desktop-only'),
      make('help', '?', 'desktop-only'),
      make('lock', 'Lock room'),
      make('hang-up', 'Hang up', 'hang-up'),
    );
    this.label('switch-camera', 'Switch camera');
    this.label('devices', 'Choose camera, microphone and speaker');
    this.label('copy-link', 'Copy the call link');
    this.label('help', 'Keyboard shortcuts', 'help');
    this.label('hang-up', 'Hang up', 'hang-up');
  }

  button(action: ControlAction): HTMLButtonElement {
    return this.buttons.get(action)!;
  }

  render(view: ControlsView): void {
    this.toggle('mic', view.micOn ? 'Mute' : 'Unmute', view.micOn ? 'Turn microphone off' : 'Turn microphone on', !view.micOn, 'mic');
    this.button('mic').disabled = !view.hasMic;
    this.toggle('camera', view.cameraOn ? 'Camera off' : 'Camera on', view.cameraOn ? 'Turn camera off' : 'Turn camera on', !view.cameraOn, 'camera');
    this.button('switch-camera').hidden = view.cameraCount < 2;
    this.button('switch-camera').disabled = !view.cameraOn;
    const blur = this.button('blur');
    blur.textContent = view.blur ? 'Unblur' : 'Blur';
    blur.setAttribute('aria-pressed', String(view.blur));
    blur.disabled = !view.cameraOn;
    this.label('blur', view.blur ? 'Unblur background' : 'Blur background');
    this.button('share').hidden = !view.canShare;
    this.toggle('share', view.sharing ? 'Stop sharing' : 'Share', view.sharing ? 'Stop sharing your screen' : 'Share your screen', view.sharing, 'share');
    const lock = this.button('lock');
    lock.hidden = !view.host;
    lock.textContent = view.locked ? 'Unlock room' : 'Lock room';
    lock.setAttribute('aria-pressed', String(view.locked));
    this.label('lock', view.locked ? 'Unlock the room: let new people join' : 'Lock the room: nobody new can join');
    const chat = this.button('chat');
    chat.replaceChildren('Chat', ...(view.unread > 0 ? [h('span', { class: 'badge', 'aria-hidden': 'true' }, String(view.unread))] : []));
    this.label('chat', view.unread > 0 ? `Chat, ${view.unread} unread` : 'Chat', 'chat');
    for (const [action, panel] of [
      ['chat', 'chat'],
      ['devices', 'devices'],
      ['help', 'shortcuts'],
    ] as const) {
      this.button(action).setAttribute('aria-expanded', String(view.openPanel === panel));
      this.button(action).setAttribute('aria-controls', `panel-${panel}`);
    }
  }

  private toggle(action: ControlAction, text: string, label: string, pressed: boolean, shortcut: ShortcutAction): void {
    const button = this.button(action);
    button.textContent = text;
    button.setAttribute('aria-pressed', String(pressed));
    this.label(action, label, shortcut);
  }

  private label(action: ControlAction, label: string, shortcut?: ShortcutAction): void {
    const button = this.button(action);
    button.setAttribute('aria-label', label);
    if (!shortcut) {
      button.title = label;
      return;
    }
    const keys = keysFor(shortcut);
    button.setAttribute('aria-keyshortcuts', keys);
    button.title = `${label} (${keys})`;
  }
}
