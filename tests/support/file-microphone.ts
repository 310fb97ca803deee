// Firefox has no counterpart to Chromium's --use-file-for-fake-audio-capture (its fake microphone
// is a fixed tone), so a test that needs a known sound in Firefox swaps getUserMedia's microphone
// for a WAV file played through WebAudio in the page. Everything after getUserMedia, the app's
// own audio processing included, runs as it would on a real microphone; the camera stays Firefox's fake one.
import type { Page } from 'puppeteer-core';

/** From the next navigation on, the page's microphone plays `wav` (a WAV file's bytes) in a loop. */
export async function playFileAsMicrophone(page: Page, wav: Buffer): Promise<void> {
  await page.evaluateOnNewDocument(`(${installFileMicrophone.toString()})(${JSON.stringify(wav.toString('base64'))})`);
}

const installFileMicrophone = (base64: string) => {
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  devices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
    const stream = constraints?.video ? await getUserMedia({ video: constraints.video }) : new MediaStream();
    if (!constraints?.audio) return stream;
    const context = new AudioContext({ sampleRate: 48_000 });
    const source = context.createBufferSource();
    source.buffer = await context.decodeAudioData(bytes.slice().buffer);
    source.loop = true;
    const output = context.createMediaStreamDestination();
    output.channelCount = 1;
    source.connect(output);
    source.start();
    // Firefox creates a context suspended and starts it on resume() (allowed here: the test browser permits autoplay).
    await context.resume();
    const track = output.stream.getAudioTracks()[0]!;
    const stop = track.stop.bind(track);
    track.stop = () => {
      stop();
      void context.close();
    };
    stream.addTrack(track);
    return stream;
  };
};
