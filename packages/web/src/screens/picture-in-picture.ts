/**
 * Which picture-in-picture the browser offers: `document`, a small
 * always-on-top window we fill ourselves (Chromium's Document
 * Picture-in-Picture), so it can carry our own controls; `element`, a video
 * element's own floating picture (Firefox, Safari, older Chromium); `none`.
 */
export type PipKind = 'document' | 'element' | 'none';

/** The parts of a browser that say which picture-in-picture it has. */
export interface PipEnvironment {
  documentPictureInPicture?: { requestWindow?: unknown } | undefined;
  /** `document.pictureInPictureEnabled`: false where the user or a policy turned it off. */
  pictureInPictureEnabled?: boolean | undefined;
  videoCanPip: boolean;
}

export function pipKindOf(env: PipEnvironment): PipKind {
  if (typeof env.documentPictureInPicture?.requestWindow === 'function') return 'document';
  if (env.pictureInPictureEnabled === true && env.videoCanPip) return 'element';
  return 'none';
}

interface DocumentPip {
  requestWindow(options: { width: number; height: number }): Promise<Window>;
}

function currentEnvironment(): PipEnvironment {
  return {
    documentPictureInPicture: (window as Window & { documentPictureInPicture?: DocumentPip }).documentPictureInPicture,
    pictureInPictureEnabled: document.pictureInPictureEnabled,
    videoCanPip: typeof HTMLVideoElement.prototype.requestPictureInPicture === 'function',
  };
}

/** The Document Picture-in-Picture window's first size; the person can resize it. */
const PIP_WINDOW = { width: 360, height: 270 };

/** Our styles for the small window (it starts with none of the page's). */
const PIP_STYLE = `
body { margin: 0; background: #000; color: #e6edf3; font: 15px system-ui, sans-serif; display: flex; flex-direction: column; height: 100vh; }
video { flex: 1; min-height: 0; width: 100%; object-fit: contain; }
nav { display: flex; gap: 6px; justify-content: center; padding: 6px; background: #1b2128; }
button { min-width: 44px; min-height: 44px; padding: 0 12px; border-radius: 12px; border: 1px solid #3a4450; background: #262e38; color: inherit; font: inherit; }
button[aria-pressed="true"] { background: #3a4450; }
.hang-up { background: #d1242f; border-color: #d1242f; color: #fff; font-weight: 600; }`;

export type PipAction = 'mic' | 'camera' | 'hang-up';

export interface PipHooks {
  /** The picture to show: the other person, or the speaker in a group. */
  speaker: () => HTMLVideoElement | undefined;
  act: (action: PipAction) => void;
  changed: () => void;
}

type PipState = { kind: 'off' } | { kind: 'opening' } | { kind: 'document'; window: Window; video: HTMLVideoElement } | { kind: 'element'; video: HTMLVideoElement };

/** What the small window's controls show. */
export interface PipControlsView {
  micOn: boolean;
  cameraOn: boolean;
}

/**
 * Picture-in-picture of the other person, by whichever kind the browser has,
 * opened by the control or, in Chromium, by the browser itself when the tab
 * is hidden (the media session's `enterpictureinpicture` action).
 */
export class PictureInPicture {
  readonly kind: PipKind = pipKindOf(currentEnvironment());
  private state: PipState = { kind: 'off' };
  private view: PipControlsView = { micOn: true, cameraOn: true };
  private readonly buttons = new Map<PipAction, HTMLButtonElement>();

  constructor(private readonly hooks: PipHooks) {}

  get open(): boolean {
    return this.state.kind === 'document' || this.state.kind === 'element';
  }

  toggle(): Promise<void> {
    return this.open ? this.close() : this.start();
  }

  /** Opens picture-in-picture of the speaker; nothing when there is no one to show yet or it is already open. */
  async start(): Promise<void> {
    const source = this.hooks.speaker();
    if (!source || this.state.kind !== 'off' || this.kind === 'none') return;
    this.state = { kind: 'opening' };
    try {
      this.state = this.kind === 'document' ? await this.openWindow(source) : await this.popOut(source);
    } catch {
      // Refused (no user gesture, or the person or a policy said no): the call is unaffected.
      this.state = { kind: 'off' };
    }
    this.hooks.changed();
  }

  async close(): Promise<void> {
    const state = this.state;
    this.state = { kind: 'off' };
    if (state.kind === 'document') state.window.close();
    if (state.kind === 'element' && document.pictureInPictureElement === state.video) await document.exitPictureInPicture().catch(() => {});
    this.hooks.changed();
  }

  /**
   * Lets the browser open it when the tab is hidden during the call, where it
   * can (Chromium's media session action). Returns the undo.
   */
  openWhenHidden(): () => void {
    const session = navigator.mediaSession as MediaSession | undefined;
    if (this.kind !== 'document' || !session) return () => {};
    try {
      session.setActionHandler('enterpictureinpicture' as MediaSessionAction, () => void this.start());
    } catch {
      // An older browser without this action: only the control opens it.
      return () => {};
    }
    return () => session.setActionHandler('enterpictureinpicture' as MediaSessionAction, null);
  }

  /** The speaker changed or their media arrived another way: the small window follows. */
  follow(): void {
    if (this.state.kind !== 'document') return;
    const stream = this.hooks.speaker()?.srcObject ?? null;
    if (this.state.video.srcObject !== stream) {
      this.state.video.srcObject = stream;
      void this.state.video.play().catch(() => {});
    }
  }

  render(view: PipControlsView): void {
    this.view = view;
    const mic = this.buttons.get('mic');
    const camera = this.buttons.get('camera');
    if (mic) {
      mic.textContent = view.micOn ? 'Mute' : 'Unmute';
      mic.setAttribute('aria-pressed', String(!view.micOn));
    }
    if (camera) {
      camera.textContent = view.cameraOn ? 'Camera off' : 'Camera on';
      camera.setAttribute('aria-pressed', String(!view.cameraOn));
    }
  }

  private async openWindow(source: HTMLVideoElement): Promise<PipState> {
    const api = (window as Window & { documentPictureInPicture?: DocumentPip }).documentPictureInPicture!;
    const pip = await api.requestWindow(PIP_WINDOW);
    const doc = pip.document;
    const video = doc.createElement('video');
    Object.assign(video, { autoplay: true, muted: true, playsInline: true, srcObject: source.srcObject });
    video.setAttribute('aria-label', source.getAttribute('aria-label') ?? 'The other person');
    const nav = doc.createElement('nav');
    nav.setAttribute('aria-label', 'Call controls');
    for (const [action, text] of [
      ['mic', 'Mute'],
      ['camera', 'Camera off'],
      ['hang-up', 'Hang up'],
    ] as const) {
      const button = doc.createElement('button');
      button.type = 'button';
      button.textContent = text;
      if (action === 'hang-up') button.className = 'hang-up';
      button.addEventListener('click', () => this.hooks.act(action));
      this.buttons.set(action, button);
      nav.append(button);
    }
    const style = doc.createElement('style');
    style.textContent = PIP_STYLE;
    doc.head.append(style);
    doc.body.append(video, nav);
    this.render(this.view);
    void video.play().catch(() => {});
    pip.addEventListener('pagehide', () => {
      if (this.state.kind === 'document' && this.state.window === pip) {
        this.state = { kind: 'off' };
        this.buttons.clear();
        this.hooks.changed();
      }
    });
    return { kind: 'document', window: pip, video };
  }

  private async popOut(source: HTMLVideoElement): Promise<PipState> {
    await source.requestPictureInPicture();
    source.addEventListener(
      'leavepictureinpicture',
      () => {
        if (this.state.kind === 'element' && this.state.video === source) {
          this.state = { kind: 'off' };
          this.hooks.changed();
        }
      },
      { once: true },
    );
    return { kind: 'element', video: source };
  }
}
