import { watchOwnPicture } from './picture-watch.ts';

/**
 * Our own camera as the page shows it to us: the lobby's preview and the
 * room's self-view. Both are drawn far smaller than the camera captures
 * (1280×720 into a box at most 360 or 720 CSS pixels wide), and a video element
 * handed the camera itself converts and draws every full-size frame, 30 times
 * a second: work for the page and the compositor that buys nothing, and that
 * competed with a call's start (bench/README.md, session 13). So the element
 * gets a copy of the camera track that the browser scales down to the size
 * the box can show (`resizeMode: 'crop-and-scale'`); the camera, and what is
 * sent, keep their full size.
 *
 * A copy holds the camera open (its light on) as long as it runs, so it is
 * stopped whenever the picture changes and when the screen ends. Where the
 * browser cannot scale one track apart from the others (no `crop-and-scale`
 * in the track's capabilities), the element gets the track itself. Firefox
 * ESR lists `crop-and-scale` but leaves the copy at full size: no gain there,
 * and no harm (the camera and the sent track keep their size).
 *
 * It also watches the picture for a camera that sends nothing
 * (picture-watch.ts), for as long as it lives.
 */
export class OwnPicture {
  /** The track last shown, as given (not the copy). */
  private shown: MediaStreamTrack | undefined;
  private copy: MediaStreamTrack | undefined;

  private readonly stopWatching: () => void;

  /**
   * `maxCssWidth`: the widest the element is ever drawn, in CSS pixels (see
   * styles.css). `onSilent` hears whether the camera shown is silent whenever
   * that changes (see watchOwnPicture).
   */
  constructor(
    readonly video: HTMLVideoElement,
    private readonly maxCssWidth: number,
    onSilent: (silent: boolean) => void,
  ) {
    this.stopWatching = watchOwnPicture(video, onSilent);
  }

  /**
   * Shows `track`, or nothing. The same track again changes nothing:
   * assigning srcObject, even the same stream, restarts the element (a blank
   * moment and a new player), and the picture is asked for on every change of
   * our media (a mute, the device list, a blur step).
   */
  show(track: MediaStreamTrack | undefined): void {
    if (track === this.shown) return;
    this.stopCopy();
    this.shown = track;
    if (!track) {
      this.video.srcObject = null;
      return;
    }
    const constraints = scaledCopyConstraints(track.getSettings(), track.getCapabilities?.(), this.maxCssWidth, globalThis.devicePixelRatio || 1);
    if (constraints) {
      const copy = track.clone();
      this.copy = copy;
      // Refused, the copy shows at full size: still the right picture.
      copy.applyConstraints(constraints).catch(() => {});
    }
    this.video.srcObject = new MediaStream([this.copy ?? track]);
  }

  /** Stops the copy and the watch, and empties the element (the screen is ending or redrawing). */
  stop(): void {
    this.stopWatching();
    this.stopCopy();
    this.shown = undefined;
    this.video.srcObject = null;
  }

  private stopCopy(): void {
    this.copy?.stop();
    this.copy = undefined;
  }
}

/**
 * The constraints that scale a copy of a track with these settings down to
 * `maxCssWidth` CSS pixels at `pixelRatio` device pixels each, keeping its
 * shape; undefined where no copy is worth making: the track is no wider than
 * that already, its size is unknown, or the browser cannot scale a copy on its own.
 */
export function scaledCopyConstraints(settings: MediaTrackSettings, capabilities: MediaTrackCapabilities | undefined, maxCssWidth: number, pixelRatio: number): MediaTrackConstraints | undefined {
  const { width, height } = settings;
  const canScale = (capabilities as { resizeMode?: string[] } | undefined)?.resizeMode?.includes('crop-and-scale') ?? false;
  const maxWidth = Math.ceil(maxCssWidth * pixelRatio);
  if (!canScale || !width || !height || width <= maxWidth) return undefined;
  return { resizeMode: 'crop-and-scale', width: { max: maxWidth }, height: { max: Math.ceil((maxWidth * height) / width) } } as MediaTrackConstraints;
}
