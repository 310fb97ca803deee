import type { MediaErrorCode } from '@videoapp/client';
import type { ErrorCode } from '@videoapp/protocol';

/** Everything that can stop a person from calling, each with its own explanation. */
export type ProblemCode = ErrorCode | MediaErrorCode | 'offline' | 'server-unreachable' | 'no-webrtc';

export interface Problem {
  title: string;
  /** What happened and what to do about it, in plain words. */
  advice: string;
}

function permissionAdvice(): string {
  const ua = navigator.userAgent;
  if (/Firefox\//.test(ua)) return 'Click the camera icon at the left of the address bar, remove the block, and try again.';
  if (/Safari\//.test(ua) && !/Chrom(e|ium)\//.test(ua)) return 'Open Safari › Settings for This Website, set Camera and Microphone to Allow, and try again.';
  if (/Android/.test(ua)) return 'Tap the lock icon in the address bar, open Permissions, allow Camera and Microphone, and try again.';
  return 'Click the camera icon (or the site settings icon) in the address bar, choose Allow for camera and microphone, and try again.';
}

export function describeProblem(code: ProblemCode): Problem {
  switch (code) {
    case 'permission-denied':
      return { title: 'Camera and microphone are blocked', advice: `VideoApp needs your permission to use them. ${permissionAdvice()}` };
    case 'no-device':
      return { title: 'No camera or microphone found', advice: 'Connect a microphone (and a camera if you want video), then try again.' };
    case 'device-busy':
      return { title: 'Your camera or microphone is busy', advice: 'Another app or tab is using it. Close that app or tab, then try again.' };
    case 'constraints-unsatisfiable':
      return { title: 'That camera cannot be used', advice: 'The chosen device does not support what was asked of it. Pick another camera or microphone.' };
    case 'insecure-context':
      return { title: 'This page is not secure', advice: 'Browsers allow the camera only over https (or on localhost). Open this call through its https:// link.' };
    case 'unsupported':
    case 'no-webrtc':
      return { title: 'This browser cannot make video calls', advice: 'Open the link in a current version of Chrome, Firefox, Safari or Edge.' };
    case 'offline':
      return { title: 'You are offline', advice: 'Check your Wi-Fi or mobile data. VideoApp will carry on when you are back online.' };
    case 'server-unreachable':
      return { title: 'Cannot reach VideoApp', advice: 'The server is not answering. It may be restarting; try again in a moment.' };
    case 'room-not-found':
      return { title: 'No call with that code', advice: 'Check the code or link for typos, or ask for a new link: an unused room expires after a while.' };
    case 'room-full':
      return { title: 'This call is full', advice: 'It already has as many people as a call can hold. Ask them for a new link.' };
    case 'room-locked':
      return { title: 'This call is locked', advice: 'The person who started it has closed it to newcomers. Ask them to unlock it, then try again.' };
    case 'wrong-passcode':
      return { title: 'That passcode is not right', advice: 'This call is protected by a passcode. Ask the person who started it for the passcode and type it again.' };
    case 'rate-limited':
      return { title: 'Too many attempts', advice: 'Wait a minute, then try again.' };
    case 'knock-required':
      return { title: 'The host lets people in', advice: 'This call asks newcomers to knock. Go back, press Join, and wait for the host to let you in.' };
    case 'waiting-list-full':
      return { title: 'Too many people are waiting', advice: 'The host has a long list of people asking to join. Try again in a few minutes.' };
    case 'knock-not-found':
      return { title: 'Your request to join has ended', advice: 'It was answered, cancelled, or waited too long with the page closed. Ask to join again.' };
    case 'unsupported-version':
      return { title: 'VideoApp was updated', advice: 'Reload the page to get the new version.' };
    case 'session-expired':
    case 'bad-message':
    case 'message-too-large':
    case 'out-of-order':
    case 'peer-not-found':
    case 'not-room-host':
    case 'too-many-candidates':
    case 'internal':
      return { title: 'Something went wrong', advice: 'Reload the page and try again. If it keeps happening, tell whoever runs this server.' };
  }
}
