import { Emitter } from './emitter.ts';
import { type MediaErrorCode, mediaErrorCode } from './media.ts';

/**
 * What we ask the browser for: text on a shared screen must stay legible, so
 * up to full HD, and a lower frame rate than a camera (slides and code change
 * rarely) to leave bandwidth for the resolution.
 */
export const SCREEN_SHARE_CONSTRAINTS: DisplayMediaStreamOptions = {
  video: { width: { max: 1920 }, height: { max: 1080 }, frameRate: { max: 15 } },
  audio: false,
};

export type ScreenShareState = { kind: 'off' } | { kind: 'starting' } | { kind: 'on'; track: MediaStreamTrack };

/** `cancelled`: the person closed the browser's picker; nothing to report. */
export type ScreenShareOutcome = { ok: true } | { ok: false; code: MediaErrorCode | 'cancelled' };

export interface ScreenShareOptions {
  /** The browser's getDisplayMedia, bound; absent where screens cannot be shared (phones). */
  getDisplayMedia: ((options: DisplayMediaStreamOptions) => Promise<MediaStream>) | undefined;
  isSecureContext: boolean;
  /** Sends a video track to everyone in the call in place of the current one (no renegotiation). */
  send: (track: MediaStreamTrack | null) => Promise<void>;
  /** The camera track to send again when sharing stops (null when the camera is off by then). */
  camera: () => MediaStreamTrack | null;
}

interface ScreenShareEvents extends Record<string, unknown> {
  state: ScreenShareState;
}

/**
 * Sharing the screen in place of the camera: the screen's track replaces the
 * camera's on the existing video sender while it lasts, and the camera comes
 * back when sharing stops, whether from our button or the browser's own
 * "Stop sharing" (which ends the track).
 */
export class ScreenShare extends Emitter<ScreenShareEvents> {
  private current: ScreenShareState = { kind: 'off' };

  constructor(private readonly options: ScreenShareOptions) {
    super();
  }

  get state(): ScreenShareState {
    return this.current;
  }

  get supported(): boolean {
    return typeof this.options.getDisplayMedia === 'function';
  }

  /** The track being sent while sharing, so the camera's changes wait until sharing stops. */
  get track(): MediaStreamTrack | undefined {
    return this.current.kind === 'on' ? this.current.track : undefined;
  }

  async start(): Promise<ScreenShareOutcome> {
    if (this.current.kind !== 'off') return { ok: true };
    if (!this.options.getDisplayMedia) return { ok: false, code: 'unsupported' };
    this.move({ kind: 'starting' });
    let stream: MediaStream;
    try {
      stream = await this.options.getDisplayMedia(SCREEN_SHARE_CONSTRAINTS);
    } catch (err) {
      this.move({ kind: 'off' });
      const name = (err as { name?: string })?.name;
      return { ok: false, code: name === 'NotAllowedError' || name === 'AbortError' ? 'cancelled' : mediaErrorCode(err, this.options) };
    }
    const track = stream.getVideoTracks()[0];
    for (const extra of stream.getTracks()) if (extra !== track) extra.stop();
    if (!track) {
      this.move({ kind: 'off' });
      return { ok: false, code: 'no-device' };
    }
    // Stopped while the picker was open (hang-up): release what the browser just gave.
    if (this.state.kind !== 'starting') {
      track.stop();
      return { ok: false, code: 'cancelled' };
    }
    // Tells the encoder to keep text sharp: lower the frame rate rather than the resolution when bandwidth is short.
    if ('contentHint' in track) track.contentHint = 'detail';
    track.addEventListener('ended', () => void this.stop(), { once: true });
    this.move({ kind: 'on', track });
    await this.options.send(track);
    return { ok: true };
  }

  /** Stops sharing and sends the camera again. */
  async stop(): Promise<void> {
    const was = this.current;
    if (was.kind === 'off') return;
    this.move({ kind: 'off' });
    if (was.kind !== 'on') return;
    was.track.stop();
    await this.options.send(this.options.camera());
  }

  /** Stops sharing without sending anything in its place: the call is ending. */
  dispose(): void {
    if (this.current.kind === 'on') this.current.track.stop();
    this.current = { kind: 'off' };
    this.removeAllListeners();
  }

  private move(state: ScreenShareState): void {
    this.current = state;
    this.emit('state', state);
  }
}
