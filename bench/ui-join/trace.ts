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

  /** Makes `on<event>` handlers the app sets on `proto` note how long each call of theirs took, when it took a while. */
  const timeHandlers = (proto: object, label: string, events: string[], detail: (e: Event) => string = () => '') => {
    for (const event of events) {
      const property = `on${event}`;
      const handlers = new WeakMap<object, unknown>();
      Object.defineProperty(proto, property, {
        configurable: true,
        get(this: object) {
          return handlers.get(this) ?? null;
        },
        set(this: EventTarget, handler: ((e: Event) => unknown) | null) {
          const previous = handlers.get(this) as EventListener | undefined;
          if (previous) this.removeEventListener(event, previous);
          if (!handler) return void handlers.delete(this);
          const timedHandler = (e: Event) => {
            const start = performance.now();
            handler.call(this, e);
            const took = performance.now() - start;
            if (took >= 2) note(`${label} ${property}${detail(e)} handler took ${took.toFixed(0)} ms`);
          };
          handlers.set(this, timedHandler);
          this.addEventListener(event, timedHandler);
        },
      });
    }
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
  timeHandlers(WebSocket.prototype, 'ws', ['message'], (e) => ` ${typeOf((e as MessageEvent).data)}`);
  timeHandlers(RTCPeerConnection.prototype, 'pc', ['track'], (e) => ` ${(e as RTCTrackEvent).track.kind}`);
  timeHandlers(RTCPeerConnection.prototype, 'pc', ['icecandidate', 'connectionstatechange', 'negotiationneeded', 'iceconnectionstatechange'], (e) =>
    e.currentTarget instanceof RTCPeerConnection ? ` ${e.currentTarget.connectionState}` : '',
  );
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

interface ChromeTraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { functionName?: string; url?: string } };
}

/** Chrome trace categories that show what a renderer's main thread spent its time on. */
export const MAIN_THREAD_CATEGORIES = ['devtools.timeline', 'blink.user_timing', 'v8', 'disabled-by-default-devtools.timeline'];

/**
 * What each page's main thread did between our Join mark and its first remote frame mark
 * (the app's `videoapp:*` performance marks), from a Chrome trace: the time in each kind of
 * top-level work, and the scripts that ran longest.
 */
export function mainThreadSummary(trace: Buffer): string {
  const events = (JSON.parse(trace.toString()) as { traceEvents: ChromeTraceEvent[] }).traceEvents;
  const mainThreads = new Set(events.filter((e) => e.ph === 'M' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const marks = events.filter((e) => e.name.startsWith('videoapp:') && e.ph !== 'M');
  const join = marks.find((m) => m.name === 'videoapp:join');
  if (!join) return '    (no Join mark in the trace)';
  const lines: string[] = [];
  for (const frame of marks.filter((m) => m.name === 'videoapp:first-remote-frame' && m.ts > join.ts)) {
    const side = frame.pid === join.pid ? 'joiner' : 'waiting';
    const onMain = events.filter((e) => e.ph === 'X' && e.pid === frame.pid && mainThreads.has(`${e.pid}:${e.tid}`) && e.ts >= join.ts && e.ts < frame.ts);
    const total = (name: string) => onMain.filter((e) => e.name === name).reduce((sum, e) => sum + (e.dur ?? 0), 0) / 1000;
    const kinds = [
      'RunTask',
      'FunctionCall',
      'EventDispatch',
      'TimerFire',
      'FireAnimationFrame',
      'v8.compile',
      'EvaluateScript',
      'UpdateLayoutTree',
      'Layout',
      'PrePaint',
      'Paint',
      'Layerize',
      'Commit',
      'MinorGC',
      'MajorGC',
      'V8.GC_SCAVENGER',
      'V8.GC_MARK_COMPACTOR',
    ];
    lines.push(`    ${side} main thread, Join → its first frame (${((frame.ts - join.ts) / 1000).toFixed(0)} ms): ${kinds.map((k) => `${k} ${total(k).toFixed(0)}`).join(', ')}`);
    const scripts = new Map<string, number>();
    for (const e of onMain.filter((x) => x.name === 'FunctionCall' || x.name === 'EventDispatch' || x.name === 'TimerFire')) {
      const what = `${e.name} ${e.args?.data?.functionName ?? ''} ${(e.args?.data?.url ?? '').replace(/^.*\//, '')}`.trim();
      scripts.set(what, (scripts.get(what) ?? 0) + (e.dur ?? 0) / 1000);
    }
    const top = [...scripts].sort((a, b) => b[1] - a[1]).slice(0, 8);
    lines.push(`      longest: ${top.map(([what, ms]) => `${what} ${ms.toFixed(0)} ms`).join('; ')}`);
  }
  return lines.join('\n');
}
