import { type MediaOutcome, openUserMedia } from '@videoapp/client';
import { microphoneConstraints, type VoiceMode } from './voice/voice-settings.ts';

export interface DeviceChoice {
  audioDeviceId?: string;
  videoDeviceId?: string;
}

const VIDEO_CONSTRAINTS: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };

/** Opens camera and microphone for this page, honouring the devices the person picked and how their voice is to be treated. */
export function openLocalMedia(choice: DeviceChoice, voice: VoiceMode, wantVideo = true): Promise<MediaOutcome> {
  return openUserMedia(
    { mediaDevices: navigator.mediaDevices, isSecureContext: window.isSecureContext },
    {
      audio: microphoneConstraints(voice, choice.audioDeviceId),
      video: wantVideo && (choice.videoDeviceId ? { ...VIDEO_CONSTRAINTS, deviceId: { exact: choice.videoDeviceId } } : VIDEO_CONSTRAINTS),
    },
  );
}

/** Opens one camera track alone (turning the camera back on, or switching cameras). */
export async function openCamera(deviceId?: string): Promise<MediaStreamTrack | undefined> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: deviceId ? { ...VIDEO_CONSTRAINTS, deviceId: { exact: deviceId } } : VIDEO_CONSTRAINTS });
    return stream.getVideoTracks()[0];
  } catch {
    return undefined;
  }
}

export async function listDevices(kind: MediaDeviceKind): Promise<MediaDeviceInfo[]> {
  try {
    return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === kind);
  } catch {
    return [];
  }
}

/**
 * How often a level meter reads the microphone and redraws: often enough to
 * follow a voice. Every redraw is a paint and a composited frame; drawn on
 * every animation frame (60 a second) the lobby's meter kept the page busy
 * while the person looked at their preview.
 */
export const METER_INTERVAL_MS = 50;

/** Drives a level meter from a microphone track; returns what stops it. */
export function meterLevel(track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
  const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctx) return () => {};
  const audio = new Ctx();
  const analyser = audio.createAnalyser();
  analyser.fftSize = 512;
  audio.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const read = () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    onLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4));
  };
  read();
  const timer = setInterval(read, METER_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    void audio.close();
  };
}

/** Opens one microphone track alone (choosing another microphone, or replacing one unplugged). */
export async function openMicrophone(deviceId: string | undefined, voice: VoiceMode): Promise<MediaStreamTrack | undefined> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: microphoneConstraints(voice, deviceId) });
    return stream.getAudioTracks()[0];
  } catch {
    return undefined;
  }
}

/**
 * Whether this browser can share a screen. Phone browsers either lack
 * getDisplayMedia or offer one that cannot capture anything useful, so a
 * mobile user agent counts as "no" too.
 */
export function canShareScreen(): boolean {
  const mobile = (navigator as Navigator & { userAgentData?: { mobile: boolean } }).userAgentData?.mobile ?? /Android|iPhone|iPad|iPod|Mobile/i.test(navigator.userAgent);
  return typeof navigator.mediaDevices?.getDisplayMedia === 'function' && !mobile;
}

/** Whether audio output can be routed to a chosen device (HTMLMediaElement.setSinkId). */
export function canChooseSpeaker(): boolean {
  return typeof (HTMLMediaElement.prototype as HTMLMediaElement & { setSinkId?: unknown }).setSinkId === 'function';
}
