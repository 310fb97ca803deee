/**
 * Join to first frame as a person feels it (issue 14): the real built app
 * served by the real server, two browser contexts in one headless Chromium
 * driven through the lobby. Alice has joined and waits; Bob opens the room
 * link, and Join is pressed either the moment it appears (the lobby is still
 * busy starting the preview and listing devices) or a second later. The
 * clock starts at that click and stops at the first remote frame presented
 * on the slower of the two sides.
 *
 * Side by side in the same run, interleaved call by call so a slow patch of
 * the machine hits every contender alike: the in-page floor (two
 * RTCPeerConnections in one page) and PeerJS, both capturing at the app's
 * own 1280×720 (bench/join/page.ts).
 */
import type { Page } from 'playwright-core';
import { launchChromium } from '../../tests/support/browsers.ts';
import { startTestServer } from '../../tests/support/test-server.ts';
import type { CallTiming } from '../join/page.ts';
import { bothSides, bundlePage, createRoom, servePage, startPeerServer } from '../join/run.ts';
import { ratio, round, type Summary, summarize } from '../stats.ts';
import { MAIN_THREAD_CATEGORIES, mainThreadSummary, stepsSince, TRACE_STEPS, timeline } from './trace.ts';

export interface UiJoinPlan {
  warmup: number;
  calls: number;
  /** Print each UI call's steps on both pages, relative to the click (see trace.ts). */
  trace?: boolean;
}

/** The app's own capture size (packages/web/src/local-media.ts asks for it). */
export const UI_CAPTURE = { width: 1280, height: 720 } as const;
/** "A second later": how long after Join appears the second kind of call presses it. */
export const PATIENT_CLICK_DELAY_MS = 1_000;
/** Longest one call may take before the run reports it as failed (and goes on without it). */
const UI_CALL_TIMEOUT_MS = 20_000;
/** Per-address room and join limits (there to slow guessing) would stop a run of many calls from one address. */
const UI_BENCH_LIMIT = 10_000;

export const UI_JOIN_CONTENDERS = ['ui-at-once', 'ui-after-1s', 'floor-720p', 'peerjs-720p'] as const;
export type UiJoinContender = (typeof UI_JOIN_CONTENDERS)[number];

/**
 * In both app pages, before the app loads: every remote video track the page
 * receives is watched until a <video> shows it, and the time of its first
 * presented frame (on the shared wall clock, so two pages compare) is kept
 * in `__firstRemoteFrames` and announced on `__remoteFrameSeen`. Each
 * connection is kept in `__connections`, so that a call that brings no frame
 * can say what its links sent and received. The app itself is unchanged.
 */
const WATCH_FIRST_FRAMES = () => {
  const w = window as unknown as { __firstRemoteFrames: number[]; __remoteFrameSeen: EventTarget; __connections: RTCPeerConnection[] };
  w.__firstRemoteFrames = [];
  w.__connections = [];
  w.__remoteFrameSeen = new EventTarget();
  const wallClock = () => performance.timeOrigin + performance.now();
  const watch = (track: MediaStreamTrack) => {
    const timer = setInterval(() => {
      const video = [...document.querySelectorAll('video')].find((v) => (v.srcObject as MediaStream | null)?.getVideoTracks().includes(track));
      if (!video) return;
      clearInterval(timer);
      video.requestVideoFrameCallback(() => {
        w.__firstRemoteFrames.push(wallClock());
        w.__remoteFrameSeen.dispatchEvent(new Event('frame'));
      });
    }, 4);
    setTimeout(() => clearInterval(timer), 30_000);
  };
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      w.__connections.push(this);
      this.addEventListener('track', (e) => e.track.kind === 'video' && watch(e.track));
    }
  } as typeof RTCPeerConnection;
};

/** In the page: waits for the lobby's Join button, presses it after `delayMs`, and returns the wall-clock time of the press. */
function pressJoinWhenShown(page: Page, delayMs: number): Promise<number> {
  return page.evaluate(
    (delay) =>
      new Promise<number>((resolve) => {
        const press = (button: HTMLButtonElement) =>
          setTimeout(() => {
            const at = performance.timeOrigin + performance.now();
            button.click();
            resolve(at);
          }, delay);
        const find = () => [...document.querySelectorAll<HTMLButtonElement>('form.join button[type=submit]')].find((b) => b.textContent === 'Join');
        const shown = find();
        if (shown) return press(shown);
        const observer = new MutationObserver(() => {
          const button = find();
          if (!button) return;
          observer.disconnect();
          press(button);
        });
        observer.observe(document.body, { childList: true, subtree: true });
      }),
    delayMs,
  );
}

/**
 * The first remote frame this page presented at or after `since`. Waited for in the page's own
 * world, which pressing Join already used: polling from Playwright's utility world would compile
 * its injected script in the page right after the click, and poll the page while it joins.
 */
function firstFrameAfter(page: Page, since: number): Promise<number> {
  return page.evaluate(
    ([t, timeoutMs]) =>
      new Promise<number>((resolve, reject) => {
        const w = window as unknown as { __firstRemoteFrames: number[]; __remoteFrameSeen: EventTarget };
        const seen = () => w.__firstRemoteFrames.find((f) => f >= t);
        const onFrame = () => {
          const at = seen();
          if (at === undefined) return;
          clearTimeout(timer);
          w.__remoteFrameSeen.removeEventListener('frame', onFrame);
          resolve(at);
        };
        const timer = setTimeout(() => {
          w.__remoteFrameSeen.removeEventListener('frame', onFrame);
          reject(new Error(`no remote frame within ${timeoutMs} ms`));
        }, timeoutMs);
        w.__remoteFrameSeen.addEventListener('frame', onFrame);
        onFrame();
      }),
    [since, UI_CALL_TIMEOUT_MS] as const,
  );
}

export async function runUiJoin(plan: UiJoinPlan, log: (line: string) => void): Promise<Record<UiJoinContender, CallTiming[]>> {
  const benchPage = await servePage(await bundlePage());
  const server = await startTestServer({ allowedOrigins: [benchPage.origin], roomsPerMinutePerAddress: UI_BENCH_LIMIT, joinsPerMinutePerAddress: UI_BENCH_LIMIT });
  const peer = await startPeerServer();
  const browser = await launchChromium();
  const results: Record<UiJoinContender, CallTiming[]> = { 'ui-at-once': [], 'ui-after-1s': [], 'floor-720p': [], 'peerjs-720p': [] };
  try {
    const appContext = async () => {
      const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 1280, height: 800 } });
      // tsx compiles with esbuild's keepNames, which wraps functions handed to the page in a `__name` helper.
      await context.addInitScript('globalThis.__name = (f) => f;');
      await context.addInitScript(WATCH_FIRST_FRAMES);
      if (plan.trace) await context.addInitScript(TRACE_STEPS);
      const page = await context.newPage();
      page.on('pageerror', (err) => log(`  page error: ${err.message}`));
      return page;
    };
    const alice = await appContext();
    const bob = await appContext();
    const benchContext = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const bench = await benchContext.newPage();
    await bench.goto(benchPage.origin);
    await bench.waitForFunction(() => 'bench' in window);
    type Bench = { bench: { floor(): Promise<CallTiming>; peerJs(port: number): Promise<CallTiming>; setCapture(w: number, h: number): void } };
    await bench.evaluate(([w, h]) => (window as unknown as Bench).bench.setCapture(w, h), [UI_CAPTURE.width, UI_CAPTURE.height] as const);

    /** What each page shows when a call did not bring a frame in time, so a failure says where it stopped. */
    const whereStuck = (page: Page) =>
      page.evaluate(async () => {
        const w = window as unknown as { __firstRemoteFrames: number[]; __connections: RTCPeerConnection[] };
        const videoStats = async (pc: RTCPeerConnection) => {
          const stats = [...(await pc.getStats()).values()].filter((s) => s.kind === 'video' && ['inbound-rtp', 'outbound-rtp', 'media-source'].includes(s.type));
          const pick = (type: string, keys: string[]) => stats.filter((s) => s.type === type).map((s) => Object.fromEntries(keys.map((k) => [k, s[k]])));
          const track = pc.getSenders().find((sender) => sender.track?.kind === 'video')?.track;
          return {
            connection: pc.connectionState,
            received: pick('inbound-rtp', ['bytesReceived', 'framesReceived', 'framesDecoded', 'keyFramesDecoded', 'framesDropped', 'frameWidth']),
            sent: pick('outbound-rtp', ['bytesSent', 'framesEncoded', 'framesSent', 'frameWidth', 'qualityLimitationReason']),
            // What the sender is given: its track, and the frames the browser counts from it (a camera that delivers nothing shows 0).
            track: track && { readyState: track.readyState, muted: track.muted, enabled: track.enabled },
            source: pick('media-source', ['frames', 'framesPerSecond', 'width']),
          };
        };
        return {
          state: document.querySelector('.room')?.getAttribute('data-call-state') ?? document.querySelector('h1')?.textContent,
          // The remote tiles' videos (muted: their sound plays from a separate element).
          remoteVideos: [...document.querySelectorAll<HTMLVideoElement>('video:not(.local):not(.preview)')]
            .filter((v) => (v.srcObject as MediaStream | null)?.getVideoTracks().length)
            .map((v) => ({ readyState: v.readyState, paused: v.paused, width: v.videoWidth, shown: v.offsetWidth > 0 && v.offsetHeight > 0 })),
          framesSeen: w.__firstRemoteFrames.length,
          links: await Promise.all(w.__connections.filter((pc) => pc.connectionState !== 'closed').map(videoStats)),
        };
      });
    const uiCall = async (delayMs: number): Promise<CallTiming | undefined> => {
      const link = `${server.url}/r/${await createRoom(server)}`;
      await alice.goto(link);
      await pressJoinWhenShown(alice, 0);
      await alice.waitForFunction(() => document.querySelector('.room')?.getAttribute('data-call-state') === 'waiting', null, { timeout: UI_CALL_TIMEOUT_MS });
      if (plan.trace) await browser.startTracing(bob, { categories: MAIN_THREAD_CATEGORIES });
      await bob.goto(link);
      const clicked = await pressJoinWhenShown(bob, delayMs);
      const seen = await Promise.all([firstFrameAfter(bob, clicked), firstFrameAfter(alice, clicked)]).catch(() => undefined);
      if (!seen) {
        log(`  a call brought no frame within ${UI_CALL_TIMEOUT_MS} ms: Bob ${JSON.stringify(await whereStuck(bob))}, Alice ${JSON.stringify(await whereStuck(alice))}`);
        if (plan.trace) {
          log(timeline(clicked, { bob: await stepsSince(bob, clicked), alice: await stepsSince(alice, clicked) }));
          await browser.stopTracing();
        }
        await Promise.all([alice.goto('about:blank'), bob.goto('about:blank')]);
        return undefined;
      }
      const [bobSaw, aliceSaw] = seen;
      if (plan.trace) {
        const [bobSteps, aliceSteps] = await Promise.all([stepsSince(bob, clicked), stepsSince(alice, clicked)]);
        const frames = { bob: [{ at: bobSaw, what: 'FIRST REMOTE FRAME' }], alice: [{ at: aliceSaw, what: 'FIRST REMOTE FRAME' }] };
        log(`  Join pressed after ${delayMs} ms:\n${timeline(clicked, { bob: [...bobSteps, ...frames.bob], alice: [...aliceSteps, ...frames.alice] })}`);
        // Each page marks its first frame itself a moment after the watcher sees it.
        await Promise.all([bob, alice].map((page) => page.waitForFunction(() => performance.getEntriesByName('videoapp:first-remote-frame').length > 0)));
        log(mainThreadSummary(await browser.stopTracing()));
      }
      await Promise.all([alice.goto('about:blank'), bob.goto('about:blank')]);
      // caller = the joiner's side (Bob), callee = the side that waited (Alice), as in bench/join; in the app the one who waited opens the link.
      return { caller: bobSaw - clicked, callee: aliceSaw - clicked };
    };
    const once: Record<UiJoinContender, () => Promise<CallTiming | undefined>> = {
      'ui-at-once': () => uiCall(0),
      'ui-after-1s': () => uiCall(PATIENT_CLICK_DELAY_MS),
      'floor-720p': () => bench.evaluate(() => (window as unknown as Bench).bench.floor()),
      'peerjs-720p': () => bench.evaluate((port) => (window as unknown as Bench).bench.peerJs(port), peer.port),
    };
    for (let i = 0; i < plan.warmup + plan.calls; i++) {
      const line: string[] = [];
      for (const contender of UI_JOIN_CONTENDERS) {
        const timing = await once[contender]();
        if (timing && i >= plan.warmup) results[contender].push(timing);
        // A failed call is left out of the figures and said here; the run goes on.
        line.push(`${contender} ${timing ? `${bothSides(timing).toFixed(0)} ms` : 'FAILED'}`);
        await bench.waitForTimeout(150);
      }
      log(`  ${i < plan.warmup ? 'warm-up' : `call ${i - plan.warmup + 1}`}: ${line.join(', ')}`);
    }
  } finally {
    await browser.close();
    await server.close();
    peer.server.closeAllConnections();
    await new Promise((resolve) => peer.server.close(resolve));
    benchPage.server.close();
  }
  return results;
}

/** Issue 14's targets for the UI join, as ratios of medians measured in the same run. */
export const UI_JOIN_TARGETS = { vsFloor: 1.3, vsFloorStretch: 1.0, vsPeerJs: 0.8 } as const;

const uiLabel: Record<UiJoinContender, string> = {
  'ui-at-once': 'VideoApp UI, Join pressed at once',
  'ui-after-1s': `VideoApp UI, Join pressed ${PATIENT_CLICK_DELAY_MS / 1000} s later`,
  'floor-720p': 'floor, 2 RTCPeerConnections in one page, 720p',
  'peerjs-720p': 'PeerJS, both registered, 720p',
};

/** One row per contender: how many of the planned calls brought a frame, medians and spread of the slower side, and each side's median. */
export function uiJoinRows(results: Record<UiJoinContender, CallTiming[]>, plannedCalls: number): string[][] {
  return [
    ['click → first remote frame, slower side (ms)', 'calls with a frame', 'median', 'p90', 'min', 'max', 'joiner side median', 'waiting side median'],
    ...UI_JOIN_CONTENDERS.map((k) => {
      const s = summarize(results[k].map(bothSides));
      return [
        uiLabel[k],
        `${results[k].length} of ${plannedCalls}`,
        round(s.median),
        round(s.p90),
        round(s.min),
        round(s.max),
        round(summarize(results[k].map((t) => t.caller)).median),
        round(summarize(results[k].map((t) => t.callee)).median),
      ];
    }),
  ];
}

/** Each way of pressing Join against the floor and PeerJS, medians and p90s, with the targets. */
export function uiJoinRatioRows(results: Record<UiJoinContender, CallTiming[]>): string[][] {
  const s = Object.fromEntries(UI_JOIN_CONTENDERS.map((k) => [k, summarize(results[k].map(bothSides))])) as Record<UiJoinContender, Summary>;
  const met = (value: number, target: number) => (value <= target ? 'yes' : 'NO');
  return [
    ['ratio', 'median', 'p90', 'target (median)', 'met'],
    ...(['ui-at-once', 'ui-after-1s'] as const).flatMap((k) => [
      [
        `${uiLabel[k]} / floor`,
        ratio(s[k].median, s['floor-720p'].median),
        ratio(s[k].p90, s['floor-720p'].p90),
        `≤ ${UI_JOIN_TARGETS.vsFloor}× (stretch ${UI_JOIN_TARGETS.vsFloorStretch.toFixed(1)}×)`,
        met(s[k].median / s['floor-720p'].median, UI_JOIN_TARGETS.vsFloor),
      ],
      [
        `${uiLabel[k]} / PeerJS`,
        ratio(s[k].median, s['peerjs-720p'].median),
        ratio(s[k].p90, s['peerjs-720p'].p90),
        `≤ ${UI_JOIN_TARGETS.vsPeerJs}×`,
        met(s[k].median / s['peerjs-720p'].median, UI_JOIN_TARGETS.vsPeerJs),
      ],
    ]),
  ];
}
