import { frameTransformApi, type RoomCredentials, SignalingClient, stopStream } from '@videoapp/client';
import type { KnockDenial } from '@videoapp/protocol';
import { MAX_PASSCODE_CHARS } from '@videoapp/protocol';
import { roomStatus } from '../api.ts';
import { type Screen, savedHideIp, savedHostKey, savedKnockToken, savedName, saveHideIp, saveName, signalingUrl } from '../app-context.ts';
import { BlurSwitch } from '../blur/blur-switch.ts';
import { h } from '../dom.ts';
import { prepareStaleFrameGuard } from '../frame-worker.ts';
import { type DeviceChoice, listDevices, meterLevel, openLocalMedia } from '../local-media.ts';
import { OwnPicture } from '../own-picture.ts';
import { sayWhenSilent } from '../picture-watch.ts';
import type { ProblemCode } from '../problems.ts';
import type { Route } from '../routes.ts';
import { SentVoice } from '../voice/sent-voice.ts';
import { savedVoiceSettings, saveVoiceSettings, voiceMode } from '../voice/voice-settings.ts';
import { blurToggle } from './blur-toggle.ts';
import { waitAtDoor } from './lobby-knock.ts';
import { showProblem } from './problem.ts';
import { shareBox } from './share-box.ts';
import { voiceSwitches } from './voice-switches.ts';

/**
 * How long after the preview shows noise suppression (and the worker of the
 * call's stale-frame guard) starts loading: a Join pressed at once then finds
 * the page free for the call (the room starts the worker as it sends the
 * join, and noise suppression once connected); a person who takes a second
 * finds both ready.
 */
const VOICE_START_DELAY_MS = 400;

/** The widest the preview is drawn, in CSS pixels (styles.css: one column below 720 pixels, three fifths of a 960-pixel screen above). */
const PREVIEW_MAX_CSS_WIDTH = 720;

/** What the lobby says in a browser that cannot encrypt media frames, before the person chooses to join. */
const E2EE_UNAVAILABLE =
  'End-to-end encryption for group calls is not available in this browser. A call between two people stays encrypted end to end; from three people on, if you join, the call goes through the server unencrypted for everyone. A current Chrome, Edge, Firefox or Safari can encrypt.';

/**
 * Before joining: check the room exists, open camera and microphone for a
 * preview, let the person pick devices and a name. Leaving the lobby any way
 * but "Join" releases the camera. Where the host asks newcomers to knock,
 * "Join" waits here for the host's answer (see lobby-knock.ts).
 */
export const showLobby: Screen<Extract<Route, { screen: 'lobby' }>> = (root, ctx, { roomId }) => {
  let stream: MediaStream | undefined;
  let stopMeter = () => {};
  let handedOff = false;
  let gone = false;
  let peersInside = 0;
  let needsPasscode = false;
  let asksToJoin = false;
  let stopWaiting: (() => void) | undefined;
  const hostKey = savedHostKey(roomId);
  const choice: DeviceChoice = {};
  // Greeted now, so Join starts on an open socket. Nothing about the call goes over it before Join:
  // no join, no ICE candidate, no address beyond the one that loaded this page.
  const signaling = new SignalingClient({ url: signalingUrl(), WebSocket });
  signaling.connect();
  let voice = savedVoiceSettings();
  // Handed, running, to the room on "Join", so the call starts with the background already blurred.
  const blur = new BlurSwitch();
  let undoBlurToggle = () => {};
  /** The preview's picture: a copy of the camera scaled to the preview, watched for silence (own-picture.ts), stopped with the lobby. */
  let previewPicture: OwnPicture | undefined;
  // Noise suppression loads here, on the preview's microphone, rather than between Join and the first frame (where its
  // fetches, worklet and audio context held back the offer). It is local work: nothing is sent before Join. The room takes it over.
  const sentVoice = new SentVoice();
  let voiceTimer: ReturnType<typeof setTimeout> | undefined;
  const useVoice = () => {
    clearTimeout(voiceTimer);
    if (!handedOff && !gone) void sentVoice.use(stream?.getAudioTracks()[0], voiceMode(voice) === 'suppress-noise');
  };

  const retry = () => ctx.navigate({ screen: 'lobby', roomId }, { replace: true });
  const home = () => ctx.navigate({ screen: 'home' });
  const fail = (code: ProblemCode) => {
    const actions =
      code === 'room-not-found' || code === 'room-full'
        ? [{ label: 'Start a new call', run: home }]
        : [
            { label: 'Try again', run: retry },
            { label: 'Go to start', run: home },
          ];
    showProblem(root, code, actions);
  };

  root.append(h('section', { class: 'screen lobby' }, h('h1', { tabindex: -1 }, 'Getting ready…')));

  (async () => {
    if (typeof RTCPeerConnection === 'undefined') return fail('no-webrtc');
    const status = await roomStatus(roomId);
    if (gone) return;
    if (!status.ok) return fail(status.code);
    if (status.value.peers >= status.value.capacity) return fail('room-full');
    if (status.value.locked && !hostKey) return fail('room-locked');
    needsPasscode = status.value.passcode && !hostKey;
    asksToJoin = status.value.askToJoin === true && !hostKey;
    const media = await openLocalMedia(choice, voiceMode(voice));
    if (gone) {
      if (media.ok) stopStream(media.stream);
      return;
    }
    if (!media.ok) return fail(media.code);
    stream = media.stream;
    voiceTimer = setTimeout(() => {
      useVoice();
      prepareStaleFrameGuard();
    }, VOICE_START_DELAY_MS);
    peersInside = status.value.peers;
    render(media.missing === 'camera');
    // Reloaded while waiting at the door: wait on, in the same place.
    const token = savedKnockToken(roomId);
    if (token) knock(media.missing === 'camera', { roomId, name: savedName() || 'Guest', token });
  })();

  function enter(audioOnly: boolean, name: string, credentials: RoomCredentials): void {
    performance.mark('videoapp:join');
    clearTimeout(voiceTimer);
    handedOff = true;
    undoBlurToggle();
    ctx.handoff = { roomId, name, stream: stream!, audioOnly, relayOnly: savedHideIp(), credentials, signaling, blur, voice: sentVoice };
    ctx.navigate({ screen: 'room', roomId });
  }

  function knock(audioOnly: boolean, request: Parameters<typeof waitAtDoor>[1]): void {
    const box = root.querySelector<HTMLElement>('.join-box');
    if (!box) return;
    stopWaiting = waitAtDoor(box, request, {
      admitted: (token) => enter(audioOnly, request.name, { passcode: request.passcode, knock: token }),
      back: (denial) => {
        stopWaiting = undefined;
        render(audioOnly, denial);
      },
      problem: (code) => {
        stopWaiting = undefined;
        fail(code);
      },
    });
  }

  function render(audioOnly: boolean, denial?: KnockDenial): void {
    const current = stream!;
    const preview = h('video', { class: 'preview mirrored', autoplay: true, playsinline: true, 'aria-label': 'Your camera preview' });
    preview.muted = true;
    const cameraNotice = h('p', { class: 'notice camera-silent', role: 'status', hidden: true });
    previewPicture?.stop();
    const picture = new OwnPicture(preview, PREVIEW_MAX_CSS_WIDTH, sayWhenSilent(cameraNotice));
    previewPicture = picture;
    const camera = current.getVideoTracks()[0];
    // The preview shows what the others will see: the blurred camera while blur runs.
    const showPreview = () => picture.show(blur.outgoing(camera));
    showPreview();
    undoBlurToggle();
    const toggle = blurToggle(blur, () => camera, showPreview);
    undoBlurToggle = toggle.undo;
    void blur.apply(camera);
    const meter = h('meter', { class: 'mic-level', min: 0, max: 1, value: 0, 'aria-label': 'Microphone level' });
    const audioTrack = current.getAudioTracks()[0];
    if (audioTrack) stopMeter = meterLevel(audioTrack, (level) => (meter.value = level));

    const nameInput = h('input', { id: 'display-name', name: 'name', maxlength: 64, autocomplete: 'nickname', value: savedName(), placeholder: 'Your name' });
    const hideIp = h('input', { id: 'hide-ip', name: 'hide-ip', type: 'checkbox', checked: savedHideIp(), 'aria-describedby': 'hide-ip-hint' });
    const passcodeInput = needsPasscode ? h('input', { id: 'join-passcode', name: 'passcode', type: 'password', required: true, maxlength: MAX_PASSCODE_CHARS, autocomplete: 'off' }) : null;
    // A browser that cannot encrypt media frames would make a group call fall back to plain media for everyone: say so before joining.
    const canEncrypt = frameTransformApi() !== undefined;
    const joinButton = h('button', { class: 'primary big', type: 'submit' }, canEncrypt ? 'Join' : 'Join anyway');
    // Noise suppression starts (or stops) on the preview's microphone at once; music mode changes how the microphone is opened, so it reopens it here.
    const switches = voiceSwitches(
      'lobby',
      (on) => {
        voice = { ...voice, noiseSuppression: on };
        saveVoiceSettings(voice);
        switches.render(voice);
        useVoice();
      },
      (on) => {
        voice = { ...voice, musicMode: on };
        saveVoiceSettings(voice);
        void reopenMedia('lobby-music-mode');
      },
    );
    switches.render(voice);
    const form = h(
      'form',
      { class: 'join' },
      h('label', { for: 'display-name' }, 'Your name'),
      nameInput,
      passcodeInput && h('label', { for: 'join-passcode' }, 'Passcode'),
      passcodeInput,
      h('div', { class: 'pickers' }, devicePicker('videoinput', 'Camera'), devicePicker('audioinput', 'Microphone')),
      switches.element,
      h('div', { class: 'check' }, hideIp, h('label', { for: 'hide-ip' }, 'Hide my IP address')),
      h('p', { id: 'hide-ip-hint', class: 'hint' }, 'Your audio and video go through the relay server, so the other person never sees your network address. The call may be a little slower.'),
      joinButton,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const name = nameInput.value.trim().slice(0, 64) || 'Guest';
      saveName(name);
      saveHideIp(hideIp.checked);
      const passcode = passcodeInput?.value || undefined;
      if (asksToJoin) knock(audioOnly, { roomId, name, passcode });
      else enter(audioOnly, name, { passcode, hostKey });
    });
    const turnedAway = denial && h('p', { class: 'notice', role: 'alert' }, denial === 'host-left' ? 'The host has left, so nobody can let you in. Try again later.' : 'The host did not let you in.');

    root.replaceChildren(
      h(
        'section',
        { class: 'screen lobby' },
        h('h1', { tabindex: -1 }, peersInside > 0 ? 'Ready to join?' : 'Your call is ready'),
        h(
          'div',
          { class: 'lobby-grid' },
          h('div', { class: 'preview-box' }, preview, meter, cameraNotice, audioOnly ? null : toggle.element),
          h(
            'div',
            { class: 'lobby-side' },
            audioOnly ? h('p', { class: 'notice', role: 'status' }, 'No camera found: you will join with audio only.') : null,
            canEncrypt ? null : h('p', { class: 'notice e2ee-unavailable', role: 'status' }, E2EE_UNAVAILABLE),
            turnedAway,
            h('div', { class: 'join-box' }, form),
            asksToJoin ? h('p', { class: 'hint' }, 'The host lets people in: after you press Join, wait here until they do.') : null,
            shareBox(roomId),
          ),
        ),
        h('p', { class: 'hint' }, peersInside > 0 ? 'Someone is already waiting in this call.' : 'Nobody is here yet. Share the link, then join.'),
      ),
    );
  }

  function devicePicker(kind: 'videoinput' | 'audioinput', label: string): HTMLElement {
    const id = `pick-${kind}`;
    const select = h('select', { id, name: kind });
    const current = (kind === 'videoinput' ? stream?.getVideoTracks() : stream?.getAudioTracks())?.[0]?.getSettings().deviceId;
    void listDevices(kind).then((devices) => {
      for (const [i, d] of devices.entries()) select.append(h('option', { value: d.deviceId, selected: d.deviceId === current }, d.label || `${label} ${i + 1}`));
    });
    select.addEventListener('change', () => void switchDevice(kind, select.value));
    return h('div', { class: 'picker' }, h('label', { for: id }, label), select);
  }

  function switchDevice(kind: 'videoinput' | 'audioinput', deviceId: string): Promise<void> {
    if (kind === 'videoinput') choice.videoDeviceId = deviceId;
    else choice.audioDeviceId = deviceId;
    return reopenMedia(`pick-${kind}`);
  }

  /** Opens camera and microphone again with the current choices, then redraws with focus back on the control that asked. */
  async function reopenMedia(focusId: string): Promise<void> {
    const next = await openLocalMedia(choice, voiceMode(voice));
    if (gone || handedOff) {
      if (next.ok) stopStream(next.stream);
      return;
    }
    if (!next.ok) return fail(next.code);
    stopMeter();
    previewPicture?.stop();
    stopStream(stream);
    stream = next.stream;
    useVoice();
    render(next.missing === 'camera');
    document.getElementById(focusId)?.focus();
  }

  return () => {
    gone = true;
    clearTimeout(voiceTimer);
    stopWaiting?.();
    stopMeter();
    previewPicture?.stop();
    undoBlurToggle();
    if (!handedOff) {
      blur.stop();
      sentVoice.stop();
      stopStream(stream);
      signaling.close();
    }
  };
};
