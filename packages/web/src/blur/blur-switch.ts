// Part of the first page: whether blur is wanted, and the blurred camera while it runs. The heavy code loads on first use.
import { Emitter } from '@videoapp/client';
import type { BlurredCamera } from './background-blur.ts';
import { loadBackgroundBlur, saveBlur, savedBlur } from './blur-setting.ts';

/** Where background blur stands, in the terms the person is told. */
export type BlurState =
  | { kind: 'off' }
  | { kind: 'starting' }
  | { kind: 'on'; camera: BlurredCamera }
  /** Running, but fewer frames a second than a call needs. */
  | { kind: 'too-slow'; camera: BlurredCamera; fps: number }
  /** Wanted, but it could not start here (no worker, no WebGL, model did not load). */
  | { kind: 'failed'; reason: string };

interface BlurSwitchEvents extends Record<string, unknown> {
  change: BlurState;
}

/**
 * Background blur for one screen's camera: on or off as the person chose
 * (remembered across visits), applied to whichever camera track is current.
 * The lobby hands its switch, running, to the room, so the call never starts
 * with the background showing.
 */
export class BlurSwitch extends Emitter<BlurSwitchEvents> {
  private state: BlurState = { kind: 'off' };
  private wanted = savedBlur();
  /** Bumped by every apply(), so a start that finishes after a newer one is thrown away. */
  private generation = 0;

  get current(): BlurState {
    return this.state;
  }

  get isWanted(): boolean {
    return this.wanted;
  }

  /** The track to show and send for `source`: the blurred one while it runs on that camera. */
  outgoing(source: MediaStreamTrack | undefined): MediaStreamTrack | undefined {
    const camera = this.running;
    return camera && camera.source === source ? camera.track : source;
  }

  /** Turns blur on or off, remembers the choice, and applies it to `source`. */
  choose(on: boolean, source: MediaStreamTrack | undefined): Promise<void> {
    this.wanted = on;
    saveBlur(on);
    return this.apply(source);
  }

  /**
   * Makes the blurred camera follow `source` (a new camera, the camera
   * turned off): starts, restarts or stops it. Resolves once outgoing()
   * gives the track to send.
   */
  async apply(source: MediaStreamTrack | undefined): Promise<void> {
    const generation = ++this.generation;
    const live = source?.readyState === 'live' ? source : undefined;
    if (!this.wanted || !live) return this.stopCamera({ kind: 'off' });
    if (this.running?.source === live) return;
    this.stopCamera({ kind: 'starting' });
    const { startBackgroundBlur } = await loadBackgroundBlur().catch(() => ({ startBackgroundBlur: undefined }));
    if (generation !== this.generation) return;
    if (!startBackgroundBlur) return this.move({ kind: 'failed', reason: 'not-loaded' });
    const started = await startBackgroundBlur(live, (pace) => {
      const camera = this.running;
      if (!camera || camera !== (this.state.kind === 'on' || this.state.kind === 'too-slow' ? this.state.camera : undefined)) return;
      this.move(pace.kind === 'too-slow' ? { kind: 'too-slow', camera, fps: pace.fps } : { kind: 'on', camera });
    });
    if (generation !== this.generation) {
      if (started.ok) started.camera.stop();
      return;
    }
    this.move(started.ok ? { kind: 'on', camera: started.camera } : { kind: 'failed', reason: started.reason });
  }

  /** Stops the blurred camera and listeners (the camera track itself belongs to the caller). */
  stop(): void {
    this.generation++;
    this.stopCamera({ kind: 'off' });
    this.removeAllListeners();
  }

  private get running(): BlurredCamera | undefined {
    return this.state.kind === 'on' || this.state.kind === 'too-slow' ? this.state.camera : undefined;
  }

  private stopCamera(next: BlurState): void {
    this.running?.stop();
    this.move(next);
  }

  private move(next: BlurState): void {
    this.state = next;
    this.emit('change', next);
  }
}

/** The state in words, for a status line; empty when there is nothing to say. */
export function describeBlur(state: BlurState): string {
  switch (state.kind) {
    case 'off':
      return '';
    case 'starting':
      return 'Starting background blur…';
    case 'on':
      return 'Your background is blurred.';
    case 'too-slow':
      return `This device cannot keep up with background blur (${state.fps} frames a second), so your video stutters. Turn blur off for smooth video.`;
    case 'failed':
      return 'Background blur could not start in this browser, so your video is sent without it. Switch it off and on again to retry.';
  }
}
