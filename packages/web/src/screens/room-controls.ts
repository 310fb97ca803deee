import { h } from '../dom.ts';
import { keysFor, type ShortcutAction } from './shortcuts.ts';

export type ControlAction = 'mic' | 'camera' | 'switch-camera' | 'share' | 'hand' | 'react' | 'chat' | 'devices' | 'pip' | 'copy-link' | 'help' | 'lock' | 'ask-to-join' | 'hang-up' | 'blur';

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
  handRaised: boolean;
  /** The reaction picker is open. */
  reacting: boolean;
  /** Picture-in-picture: `unavailable` where the browser has neither kind (the control is hidden). */
  pip: 'unavailable' | 'off' | 'on';
  /** Someone else is here to be shown in picture-in-picture. */
  hasRemote: boolean;
  /** Newcomers knock and wait for the host. */
  askToJoin: boolean;
}

/**
 * The call's control bar. Its order is the keyboard's focus order: what is
 * used most first, hang-up last. Every button has a spoken label, and those
 * with a shortcut announce it (aria-keyshortcuts) and show it in the tooltip.
 * A spoken label starts with the button's visible words (WCAG 2.5.3, label
 * in name), so someone using voice control can say "click Mute".
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
      make('hand', 'Raise hand'),
      make('react', 'React'),
      make('chat', 'Chat'),
      make('devices', 'Devices'),
      make('pip', 'Pop out'),
      // On a touch-only device the waiting banner's share box (with the system share sheet) does this job.
      make('copy-link', 'Copy link', 'desktop-only'),
      make('help', '?', 'desktop-only'),
      make('lock', 'Lock room'),
      make('ask-to-join', 'Ask to join'),
      make('hang-up', 'Hang up', 'hang-up'),
    );
    this.label('switch-camera', 'Flip: switch camera');
    this.label('devices', 'Devices: choose camera, microphone and speaker');
    this.label('copy-link', 'Copy link to this call');
    this.label('react', 'React with an emoji');
    this.button('react').setAttribute('aria-controls', 'reaction-picker');
    this.label('help', 'Keyboard shortcuts', 'help');
    this.label('hang-up', 'Hang up', 'hang-up');
  }

  button(action: ControlAction): HTMLButtonElement {
    return this.buttons.get(action)!;
  }

  render(view: ControlsView): void {
    this.toggle('mic', view.micOn ? 'Mute' : 'Unmute', view.micOn ? 'turn microphone off' : 'turn microphone on', !view.micOn, 'mic');
    this.button('mic').disabled = !view.hasMic;
    this.toggle('camera', view.cameraOn ? 'Camera off' : 'Camera on', view.cameraOn ? 'turn camera off' : 'turn camera on', !view.cameraOn, 'camera');
    this.button('switch-camera').hidden = view.cameraCount < 2;
    this.button('switch-camera').disabled = !view.cameraOn;
    const blur = this.button('blur');
    blur.textContent = view.blur ? 'Unblur' : 'Blur';
    blur.setAttribute('aria-pressed', String(view.blur));
    blur.disabled = !view.cameraOn;
    this.label('blur', view.blur ? 'Unblur background' : 'Blur background');
    this.button('share').hidden = !view.canShare;
    this.toggle('share', view.sharing ? 'Stop sharing' : 'Share', view.sharing ? 'stop sharing your screen' : 'share your screen', view.sharing, 'share');
    // Pressed while up: the words say what pressing does next, the state says it is up.
    this.toggle('hand', view.handRaised ? 'Lower hand' : 'Raise hand', view.handRaised ? 'your hand is up' : 'ask to speak', view.handRaised, 'hand');
    this.button('react').setAttribute('aria-expanded', String(view.reacting));
    const pip = this.button('pip');
    pip.hidden = view.pip === 'unavailable';
    pip.disabled = !view.hasRemote && view.pip === 'off';
    pip.setAttribute('aria-pressed', String(view.pip === 'on'));
    this.label('pip', view.pip === 'on' ? 'Pop out: close the floating picture' : 'Pop out: picture-in-picture of the speaker');
    const lock = this.button('lock');
    lock.hidden = !view.host;
    lock.textContent = view.locked ? 'Unlock room' : 'Lock room';
    lock.setAttribute('aria-pressed', String(view.locked));
    this.label('lock', view.locked ? 'Unlock room: let new people join' : 'Lock room: nobody new can join');
    const ask = this.button('ask-to-join');
    ask.hidden = !view.host;
    ask.textContent = view.askToJoin ? 'Ask to join: on' : 'Ask to join: off';
    ask.setAttribute('aria-pressed', String(view.askToJoin));
    this.label('ask-to-join', view.askToJoin ? 'Ask to join: on. Newcomers wait until you let them in' : 'Ask to join: off. Anyone with the link comes straight in');
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

  /** A button that changes its words with its state; `purpose` follows the words in its spoken label. */
  private toggle(action: ControlAction, text: string, purpose: string, pressed: boolean, shortcut: ShortcutAction): void {
    const button = this.button(action);
    button.textContent = text;
    button.setAttribute('aria-pressed', String(pressed));
    this.label(action, `${text}: ${purpose}`, shortcut);
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
