/**
 * Notices when our own camera is on but sends no picture: the track is live,
 * yet the page shows no new frame of it. A camera held by another app, a driver
 * that stalled, a capture that never started: the person sees a black preview
 * and the others a black tile, and without a word nobody knows why. The
 * benchmarks met it too (bench/README.md: calls with no frame, where the
 * browser counted no frame from a live camera).
 */

/** How long a live camera may bring no new frame before the page says so. */
export const CAMERA_SILENT_MS = 3_000;
/** How often the shown frames are counted. */
export const CAMERA_WATCH_INTERVAL_MS = 1_000;

/** What the page tells the person while their camera sends no picture. */
export const CAMERA_SILENT_TEXT = 'Your camera is on but sends no picture. Another app may be using it: close that app, turn the camera off and on, or choose another camera.';

/** One count of the frames our own picture has shown. */
export interface PictureReading {
  /** Frames seen shown so far (a count that moves while the picture does). */
  frames: number;
  /** A live, enabled camera is shown and the page is visible: frames are expected. */
  expected: boolean;
  now: number;
}

/**
 * Decides, reading by reading, whether the camera has gone silent. Only a
 * stretch of CAMERA_SILENT_MS in which frames were expected all along, and
 * none came, counts: a hidden page, or a camera turned off, starts the count
 * again (a browser need not draw video in a page nobody sees).
 */
export class SilenceJudge {
  private lastFrames: number | undefined;
  private quietSince: number | undefined;
  private silent = false;

  /** The verdict after this reading: true while the camera is silent. */
  observe({ frames, expected, now }: PictureReading): boolean {
    const moved = this.lastFrames !== undefined && frames !== this.lastFrames;
    this.lastFrames = frames;
    if (!expected || moved) {
      this.quietSince = undefined;
      this.silent = false;
    } else {
      this.quietSince ??= now;
      if (now - this.quietSince >= CAMERA_SILENT_MS) this.silent = true;
    }
    return this.silent;
  }
}

/**
 * What shows `notice` while the camera is silent, and hides it after. Its
 * words are put in as it shows, so that a screen reader, told of a change in
 * a live region, reads them out.
 */
export function sayWhenSilent(notice: HTMLElement): (silent: boolean) => void {
  return (silent) => {
    notice.hidden = !silent;
    notice.textContent = silent ? CAMERA_SILENT_TEXT : '';
  };
}

/**
 * Watches the element showing our own camera; `changed` hears whether the
 * camera is silent whenever that changes. A frame shown is seen through
 * requestVideoFrameCallback, asked for once per look: Firefox counts no
 * frame of a camera in getVideoPlaybackQuality (always 0), which would have
 * called every camera silent. Where the browser has no
 * requestVideoFrameCallback it never reports. Returns what stops it.
 */
export function watchOwnPicture(video: HTMLVideoElement, changed: (silent: boolean) => void): () => void {
  if (typeof video.requestVideoFrameCallback !== 'function') return () => {};
  const judge = new SilenceJudge();
  let silent = false;
  /** Frames seen so far: one per look at most, which is all the judge needs to tell a moving picture. */
  let framesSeen = 0;
  let asked: number | undefined;
  const timer = setInterval(() => {
    asked ??= video.requestVideoFrameCallback(() => {
      asked = undefined;
      framesSeen++;
    });
    const track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
    const expected = track !== undefined && track.readyState === 'live' && track.enabled && document.visibilityState === 'visible';
    const verdict = judge.observe({ frames: framesSeen, expected, now: performance.now() });
    if (verdict === silent) return;
    silent = verdict;
    changed(silent);
  }, CAMERA_WATCH_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    if (asked !== undefined) video.cancelVideoFrameCallback(asked);
  };
}
