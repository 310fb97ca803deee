/**
 * Where a UI join spends its time (`npm run bench:ui-join -- --trace`): an
 * init script records, on the shared wall clock, each step a page takes
 * between the Join click and the first remote frame — signaling messages
 * sent and received, every RTCPeerConnection call and state change, the
 * workers, audio contexts and worklets started, IndexedDB opened, sender
 * changes, the app's own performance marks and any long task on the main
 * thread. The app itself is unchanged; the timeline of both pages is printed
 * relative to the click.
 */
import type { Page } from 'playwright-core';

export interface TraceEvent {
  at: number;
  what: string;
}

/** Runs in each app page before the app loads (after the first-frame watcher, which it leaves in place). */
export const TRACE_STEPS = () => {
  const w = window as unknown as { __trace: { at: number; what: string }[] };
  w.__trace = [];
  const now = () => performance.timeOrigin + performance.now();
  const note = (what: string) => w.__trace.push({ at: now(), what });
  const typeOf = (data: unknown) => {
    try {
      const msg = JSON.parse(String(data)) as { type?: string; description?: { type?: string }; candidate?: unknown };
      return `${msg.type}${msg.description?.type ? `:${msg.description.type}` : ''}`;
    } catch {
      return '?';
    }
  };
  /** Wraps `proto[name]` so each call notes its start and the settling of its promise, if it returns one. */
  const timed = (proto: object, name: string, label: string) => {
    const target = proto as Record<string, (...args: unknown[]) => unknown>;
    const original = target[name];
    if (typeof original !== 'function') return;
    target[name] = function (this: unknown, ...args: unknown[]) {
      note(`${label} start`);
      const result = original.apply(this, args);
      if (result instanceof Promise)
        result.then(
          () => note(`${label} done`),
          (err: unknown) => note(`${label} failed: ${err}`),
        );
      return result;
    };
  };

  const OriginalSocket = window.WebSocket;
  window.WebSocket = class extends OriginalSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      note('ws new');
      this.addEventListener('open', () => note('ws open'));
      this.addEventListener('message', (e) => note(`ws ← ${typeOf(e.data)}`));
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      note(`ws → ${typeOf(data)}`);
      super.send(data);
    }
  } as typeof WebSocket;

  const OriginalPc = window.RTCPeerConnection;
  let pcs = 0;
  window.RTCPeerConnection = class extends OriginalPc {
    constructor(config?: RTCConfiguration) {
      const n = ++pcs;
      note(`pc${n} new`);
      super(config);
      let firstCandidate = true;
      this.addEventListener('icecandidate', (e) => {
        if (e.candidate && firstCandidate) note(`pc${n} first local candidate`);
        firstCandidate &&= !e.candidate;
      });
      this.addEventListener('iceconnectionstatechange', () => note(`pc${n} ice ${this.iceConnectionState}`));
      this.addEventListener('connectionstatechange', () => note(`pc${n} ${this.connectionState}`));
      this.addEventListener('negotiationneeded', () => note(`pc${n} negotiationneeded`));
      this.addEventListener('track', (e) => note(`pc${n} track ${e.track.kind}`));
    }
  } as typeof RTCPeerConnection;
  for (const name of ['createOffer', 'createAnswer', 'setLocalDescription', 'setRemoteDescription', 'addIceCandidate']) {
    timed(OriginalPc.prototype, name, name);
  }
  // Some of these interfaces are missing where the page is not a secure context (about:blank between calls).
  const prototypeOf = (name: string) => (window as unknown as Record<string, { prototype: object } | undefined>)[name]?.prototype ?? {};
  timed(prototypeOf('RTCRtpSender'), 'replaceTrack', 'replaceTrack');
  timed(prototypeOf('RTCRtpSender'), 'setParameters', 'setParameters');
  timed(prototypeOf('MediaDevices'), 'getUserMedia', 'getUserMedia');
  timed(prototypeOf('AudioWorklet'), 'addModule', 'audioWorklet.addModule');
  timed(prototypeOf('IDBFactory'), 'open', 'indexedDB.open');
  timed(window, 'fetch', 'fetch');

  const OriginalWorker = window.Worker;
  window.Worker = class extends OriginalWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      note(`worker new ${options?.name ?? ''}`);
      super(url, options);
    }
  } as typeof Worker;
  const OriginalAudio = window.AudioContext;
  window.AudioContext = class extends OriginalAudio {
    constructor(options?: AudioContextOptions) {
      note(`AudioContext new ${options?.sampleRate ?? ''}`);
      super(options);
    }
  } as typeof AudioContext;

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.entryType === 'mark' && entry.name.startsWith('videoapp:')) note(`mark ${entry.name}`);
      if (entry.entryType === 'longtask') w.__trace.push({ at: performance.timeOrigin + entry.startTime, what: `long task ${entry.duration.toFixed(0)} ms` });
      if (entry.entryType === 'resource') w.__trace.push({ at: performance.timeOrigin + entry.startTime, what: `load ${entry.name.replace(location.origin, '')} ${entry.duration.toFixed(0)} ms` });
    }
  }).observe({ entryTypes: ['mark', 'longtask', 'resource'] });
};

/** The steps `page` recorded since `since`. */
export async function stepsSince(page: Page, since: number): Promise<TraceEvent[]> {
  const steps = await page.evaluate(() => (window as unknown as { __trace: TraceEvent[] }).__trace);
  return steps.filter((s) => s.at >= since - 5);
}

/** Both pages' steps in one timeline, in ms after the click, one column per page. */
export function timeline(clicked: number, sides: Record<string, TraceEvent[]>): string {
  const rows = Object.entries(sides)
    .flatMap(([side, steps]) => steps.map((s) => ({ side, ...s })))
    .sort((a, b) => a.at - b.at);
  return rows.map((r) => `    ${(r.at - clicked).toFixed(0).padStart(6)} ms  ${r.side.padEnd(6)} ${r.what}`).join('\n');
}
