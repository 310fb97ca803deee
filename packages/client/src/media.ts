/**
 * Opening the camera and microphone, with each way it can fail mapped to its
 * own code so the UI can say what happened and what to do.
 */

export type MediaErrorCode = 'permission-denied' | 'no-device' | 'device-busy' | 'constraints-unsatisfiable' | 'insecure-context' | 'unsupported';

export type MediaOutcome =
  | { ok: true; stream: MediaStream /** Set when the camera could not be had and the call goes audio-only. */; missing?: 'camera' }
  | { ok: false; code: MediaErrorCode; detail: string };

export interface MediaEnvironment {
  mediaDevices: Pick<MediaDevices, 'getUserMedia'> | undefined;
  isSecureContext: boolean;
}

export function mediaErrorCode(err: unknown, env: Pick<MediaEnvironment, 'isSecureContext'>): MediaErrorCode {
  const name = (err as { name?: string })?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return env.isSecureContext ? 'permission-denied' : 'insecure-context';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
      return 'no-device';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'device-busy';
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError':
      return 'constraints-unsatisfiable';
    default:
      return 'unsupported';
  }
}

/**
 * Asks for camera and microphone. When the camera is missing or busy but the
 * microphone works, returns an audio-only stream flagged `missing: 'camera'`.
 */
export async function openUserMedia(env: MediaEnvironment, constraints: { audio: MediaTrackConstraints | boolean; video: MediaTrackConstraints | boolean }): Promise<MediaOutcome> {
  if (!env.mediaDevices?.getUserMedia) return { ok: false, code: env.isSecureContext ? 'unsupported' : 'insecure-context', detail: 'getUserMedia is not available' };
  try {
    return { ok: true, stream: await env.mediaDevices.getUserMedia(constraints) };
  } catch (err) {
    const code = mediaErrorCode(err, env);
    if (constraints.video && constraints.audio && (code === 'no-device' || code === 'device-busy' || code === 'constraints-unsatisfiable')) {
      try {
        const stream = await env.mediaDevices.getUserMedia({ audio: constraints.audio });
        return { ok: true, stream, missing: 'camera' };
      } catch {
        // Fall through to report the original failure.
      }
    }
    return { ok: false, code, detail: String((err as Error)?.message ?? err) };
  }
}

/** Stops every track of a stream: the camera light goes off and the device is released. */
export function stopStream(stream: MediaStream | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
