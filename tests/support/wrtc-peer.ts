// Headless WebRTC peers in Node (@roamhq/wrtc, Google's libwebrtc): a camera
// that sends synthetic frames, and a counter of frames decoded from a remote
// track. For tests that need media through a real SFU without the CPU of a browser.
import wrtc from '@roamhq/wrtc';

const { RTCPeerConnection, nonstandard } = wrtc;

export { RTCPeerConnection };

// libwebrtc's objects crash the process (SIGSEGV) when Node finalizes them while
// tearing down after a natural exit, however cleanly they were closed (an open
// upstream bug: WonderInventions/node-webrtc#35). process.exit() skips that
// teardown; called from the 'exit' event it keeps the exit code and runs after
// the test runner has reported.
process.once('exit', (code) => process.exit(code));

/** Small and slow enough that encoding stays cheap on a shared 2-core machine, big enough for a real VP8 stream. */
export const SYNTHETIC_WIDTH = 320;
export const SYNTHETIC_HEIGHT = 240;
export const SYNTHETIC_FPS = 15;

/** A video track fed with generated I420 frames (a moving gradient, so the encoder has something to encode) until stopped. */
export class SyntheticCamera {
  private readonly source = new nonstandard.RTCVideoSource();
  readonly track: MediaStreamTrack = this.source.createTrack();
  private readonly timer: NodeJS.Timeout;
  private frames = 0;

  /** A bigger picture than the default lets libwebrtc send simulcast layers: it sends fewer the smaller the picture. */
  constructor(width = SYNTHETIC_WIDTH, height = SYNTHETIC_HEIGHT) {
    const pixels = width * height;
    const data = new Uint8Array(pixels * 1.5);
    // Chroma planes at grey; the luma plane changes each frame.
    data.fill(128, pixels);
    this.timer = setInterval(() => {
      const shift = this.frames++ * 4;
      for (let i = 0; i < pixels; i++) data[i] = ((i % width) + shift) & 0xff;
      this.source.onFrame({ width, height, data });
    }, 1000 / SYNTHETIC_FPS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.track.stop();
  }
}

/** Counts the frames decoded from a remote video track. */
export class FrameCounter {
  private readonly sink: InstanceType<typeof nonstandard.RTCVideoSink>;
  count = 0;
  /** When the first frame came (performance.now()), if one has. */
  firstAt: number | undefined;
  width = 0;
  height = 0;

  constructor(track: MediaStreamTrack) {
    this.sink = new nonstandard.RTCVideoSink(track);
    this.sink.onframe = ({ frame }: { frame: { width: number; height: number } }) => {
      this.count++;
      this.firstAt ??= performance.now();
      this.width = frame.width;
      this.height = frame.height;
    };
  }

  stop(): void {
    this.sink.stop();
  }
}

/** Resolves once `predicate` holds, checking every `everyMs`; rejects with `what` after `timeoutMs`. */
export async function until(what: string, predicate: () => boolean, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
