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

/** Audio the synthetic microphone sends: 48 kHz mono, in the 10 ms chunks libwebrtc takes. */
const MIC_SAMPLE_RATE = 48_000;
const MIC_CHUNK_MS = 10;
/** A 440 Hz tone at half of full scale: about -6 dBov, far louder than the SFU's "talking" threshold. */
const MIC_TONE_HZ = 440;
const MIC_AMPLITUDE = 16_000;

/** An audio track fed with a steady tone until stopped: someone who talks all the time. */
export class SyntheticMicrophone {
  private readonly source = new nonstandard.RTCAudioSource();
  readonly track: MediaStreamTrack = this.source.createTrack();
  private readonly timer: NodeJS.Timeout;
  private sent = 0;

  constructor() {
    const numberOfFrames = (MIC_SAMPLE_RATE * MIC_CHUNK_MS) / 1000;
    const samples = new Int16Array(numberOfFrames);
    this.timer = setInterval(() => {
      for (let i = 0; i < numberOfFrames; i++) samples[i] = Math.round(MIC_AMPLITUDE * Math.sin((2 * Math.PI * MIC_TONE_HZ * (this.sent + i)) / MIC_SAMPLE_RATE));
      this.sent += numberOfFrames;
      this.source.onData({ samples, sampleRate: MIC_SAMPLE_RATE, bitsPerSample: 16, channelCount: 1, numberOfFrames });
    }, MIC_CHUNK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.track.stop();
  }
}

/**
 * Share of horizontally neighbouring luma samples that must rise left to
 * right for a frame to show one of the test pictures: the Y4M clip of
 * fake-camera-file.ts and SyntheticCamera are both gradients rising to the
 * right (wrapping every 256 columns), of which VP8 keeps almost every step.
 * A frame VP8 decodes from bytes that are not what the encoder made (encrypted
 * ones) is flat grey or blocky noise: none or about half of its steps rise.
 */
const GRADIENT_RISING_SHARE = 0.7;

/** Whether a decoded I420 frame shows a test gradient (see GRADIENT_RISING_SHARE). */
export function showsTestGradient({ width, height, data }: { width: number; height: number; data: Uint8Array }): boolean {
  let rising = 0;
  let pairs = 0;
  for (let row = 0; row < height; row += 2) {
    for (let col = 1; col < width; col++) {
      if (data[row * width + col]! > data[row * width + col - 1]!) rising++;
      pairs++;
    }
  }
  return pairs > 0 && rising / pairs >= GRADIENT_RISING_SHARE;
}

/** Counts the frames decoded from a remote video track, and among them those that show a test gradient. */
export class FrameCounter {
  private readonly sink: InstanceType<typeof nonstandard.RTCVideoSink>;
  count = 0;
  /** Decoded frames that show a test gradient (showsTestGradient). */
  gradients = 0;
  /** When the first frame came (performance.now()), if one has. */
  firstAt: number | undefined;
  width = 0;
  height = 0;

  constructor(track: MediaStreamTrack) {
    this.sink = new nonstandard.RTCVideoSink(track);
    this.sink.onframe = ({ frame }: { frame: { width: number; height: number; data: Uint8Array } }) => {
      this.count++;
      if (showsTestGradient(frame)) this.gradients++;
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
