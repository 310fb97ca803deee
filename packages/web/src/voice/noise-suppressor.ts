// Loaded only when noise suppression starts (a dynamic import, so its own chunk): the first page
// carries none of it. It imports nothing of the app's own, so the build splits off no shared chunk
// that the first page would have to fetch too.
import { loadRnnoise, RnnoiseWorkletNode } from '@sapphi-red/web-noise-suppressor';

/** Filled in by scripts/build.mjs: where our own server serves the worklet and wasm files copied from the package. */
declare const EFFECT_FILES: { rnnoiseWorklet: string; rnnoiseWasm: string; rnnoiseSimdWasm: string };

/** RNNoise is trained on 10 ms frames of 48 kHz audio (480 samples): the context runs at that rate, so the worklet gets it as RNNoise wants it. */
const RNNOISE_SAMPLE_RATE = 48_000;
/**
 * How long the audio graph may stay suspended, once the page has had a tap or
 * key press, before we give up and send the microphone as it is: a browser
 * with no sound output would otherwise never start it. Before any tap the
 * wait is open-ended: the lobby starts the suppressor before the person has
 * touched the page, and their press on Join is what lets it run.
 */
const AUDIO_START_TIMEOUT_MS = 10_000;

export interface NoiseSuppressor {
  /** The microphone with the noise taken out: the track to send. */
  readonly track: MediaStreamTrack;
  /** Stops the track and closes the audio graph (the worklet and its wasm go with the context). */
  stop(): void;
}

/**
 * Runs `microphone` through RNNoise in an AudioWorklet and returns the
 * cleaned track. We use @sapphi-red/web-noise-suppressor rather than our own
 * worklet: it ships RNNoise (weights compiled into the wasm, a SIMD build
 * beside the plain one) with a worklet that cuts the browser's 128-sample
 * blocks into RNNoise's 480-sample frames, and it works in Chromium and Firefox.
 */
export async function suppressNoise(microphone: MediaStreamTrack, signal?: AbortSignal): Promise<NoiseSuppressor> {
  const context = new AudioContext({ sampleRate: RNNOISE_SAMPLE_RATE, latencyHint: 'interactive' });
  // A page opened without a tap (a reload into the room) may hold its audio suspended until the person touches it.
  const resume = () => void context.resume();
  const gestures = ['pointerdown', 'keydown'] as const;
  try {
    const [wasmBinary] = await Promise.all([loadRnnoise({ url: EFFECT_FILES.rnnoiseWasm, simdUrl: EFFECT_FILES.rnnoiseSimdWasm }), context.audioWorklet.addModule(EFFECT_FILES.rnnoiseWorklet)]);
    const source = context.createMediaStreamSource(new MediaStream([microphone]));
    const denoiser = new RnnoiseWorkletNode(context, { wasmBinary, maxChannels: 1 });
    // One voice, one channel: a stereo microphone is mixed down before RNNoise rather than denoised twice.
    denoiser.channelCount = 1;
    denoiser.channelCountMode = 'explicit';
    const destination = context.createMediaStreamDestination();
    destination.channelCount = 1;
    source.connect(denoiser).connect(destination);
    const track = destination.stream.getAudioTracks()[0]!;
    track.enabled = microphone.enabled;
    for (const gesture of gestures) window.addEventListener(gesture, resume);
    resume();
    if (!(await running(context, gestures, signal))) {
      for (const gesture of gestures) window.removeEventListener(gesture, resume);
      throw new Error(signal?.aborted ? 'no longer wanted' : 'the browser did not start audio processing for this page');
    }
    return {
      track,
      stop() {
        for (const gesture of gestures) window.removeEventListener(gesture, resume);
        track.stop();
        source.disconnect();
        denoiser.destroy();
        void context.close();
      },
    };
  } catch (err) {
    void context.close();
    throw err;
  }
}

/**
 * Resolves true once `context` runs; false if it is still suspended
 * AUDIO_START_TIMEOUT_MS after the page's first tap or key press (counted
 * from now if it has had one already), or if `signal` aborts first.
 */
function running(context: AudioContext, gestures: readonly string[], signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (context.state === 'running') return Promise.resolve(true);
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      timer ??= setTimeout(() => done(false), AUDIO_START_TIMEOUT_MS);
    };
    const done = (ok: boolean) => {
      clearTimeout(timer);
      for (const gesture of gestures) window.removeEventListener(gesture, arm);
      context.removeEventListener('statechange', check);
      signal?.removeEventListener('abort', aborted);
      resolve(ok);
    };
    const check = () => context.state === 'running' && done(true);
    const aborted = () => done(false);
    context.addEventListener('statechange', check);
    signal?.addEventListener('abort', aborted);
    // Where the browser cannot say whether the page has been touched, the bound counts from now, as it always did.
    if (navigator.userActivation?.hasBeenActive ?? true) arm();
    else for (const gesture of gestures) window.addEventListener(gesture, arm);
  });
}
