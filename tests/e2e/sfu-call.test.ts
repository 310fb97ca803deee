// Group calls through a real Janus, driven by our server, in real browsers:
// the move from P2P to the SFU and back without a visible gap, five people
// (Chromium, Firefox and Node peers) in one room, simulcast layers following
// the tile size, and Janus killed and restarted mid-call.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, type TestContext, test } from 'node:test';
import { SFU_TO_MESH_DELAY_MS } from '@videoapp/protocol';
import type { RunningServer } from '@videoapp/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Browser as FirefoxBrowser, Page as FirefoxPage } from 'puppeteer-core';
import { freshJanusSecrets, type JanusOptions, type RunningJanus, startJanus } from '../../scripts/janus-server.ts';
import { type Evaluator, instrumentedContext, launchChromium, mediaPerTile, trackStates } from '../support/browsers.ts';
import { fakeCameraFile } from '../support/fake-camera-file.ts';
import { instrumentedFirefoxPage, joinFromFirefox, launchFirefox } from '../support/firefox.ts';
import { freePort } from '../support/free-port.ts';
import { NodeParticipant } from '../support/node-participant.ts';
import { missing } from '../support/requires.ts';
import { tilesMoving } from '../support/sfu-tiles.ts';
import { startTestServer } from '../support/test-server.ts';
import { eventually, loadedBound, reportFigure } from '../support/timing.ts';
import { openLobby, pressJoin, startNewCall } from '../support/ui.ts';
import { until } from '../support/wrtc-peer.ts';

/** Janus's media ports in this file (apart from the other Janus tests'). */
const RTP_PORTS = { min: 24_000, max: 24_999 };
/** The goal for the longest stretch without a new picture on the first two people's screens during a move. */
const SWITCH_GAP_TARGET_MS = 300;
/**
 * What this test holds the move to: a stall a person reads as a hiccup, not as
 * a dropped call, and that holds with three Chromium pages, Janus and another
 * CPU-heavy job on two cores (measured there: 0.85–1.2 s on the way to the SFU,
 * 0.26–0.56 s back; the goal above is reported beside each figure). A move
 * that breaks before it makes — the old connection closed first — stalls for
 * the whole new negotiation and fails it.
 */
const SWITCH_GAP_BOUND_MS = 2_500;
/** A hang-up is seen by the others within a second, as in a mesh call. */
const HANG_UP_SEEN_TARGET_MS = 1_000;
/** The goal: everyone decodes everyone again within 10 s of Janus coming back. */
const JANUS_RECOVERY_TARGET_MS = 10_000;
/** Bounds for reaching a state on a loaded 2-core machine; the figures printed are what matter. */
const MEDIA_TIMEOUT_MS = 30_000;
/**
 * The camera of the pages in the bigger rooms: 640×360 (two simulcast layers)
 * rather than the fake device's 1280×720, so three pages encoding for the mesh
 * and the SFU at once stay within two cores. The simulcast test uses 1280×720.
 */
const ROOM_CAMERA = { width: 640, height: 360 };
/** Carol's window in the simulcast test: Alice's tile large (the high layer), then a phone's (the low layer). */
const LARGE_WINDOW = { width: 1920, height: 1080 };
const SMALL_WINDOW = { width: 360, height: 640 };
/** How long the SFU may take to move a subscriber to another layer on a loaded machine (it waits for a key frame of it). */
const SIMULCAST_SETTLE_MS = 30_000;

type AnyPage = Evaluator & { waitForFunction: Page['waitForFunction'] | FirefoxPage['waitForFunction'] };

/**
 * In the page: from now on, the <video> of each tile whose person is not in
 * `except` notes every frame it presents (and when the tile's transport
 * changed), and the element is marked so a replaced one shows.
 */
function watchPresentedFrames(page: Page, except: string[] = []): Promise<void> {
  return page.evaluate((skip: string[]) => {
    type Record = { last: number; longest: number; longestEndedAt: number; frames: number; swappedAt: number; decoded: { track: string; frames: number; at: number; longest: number } };
    const w = window as unknown as { __presented: { [peerId: string]: Record }; __watchStart: number };
    w.__presented = {};
    w.__watchStart = performance.now();
    for (const tile of document.querySelectorAll<HTMLElement>('.tile[data-peer-id]')) {
      if (skip.includes(tile.querySelector('.tile-name')?.textContent ?? '')) continue;
      const video = tile.querySelector('video') as (HTMLVideoElement & { __watched?: boolean }) | null;
      if (!video) continue;
      video.__watched = true;
      const record: Record = { last: performance.now(), longest: 0, longestEndedAt: 0, frames: 0, swappedAt: 0, decoded: { track: '', frames: 0, at: performance.now(), longest: 0 } };
      w.__presented[tile.dataset.peerId!] = record;
      // The measure: the decoded-frame counter of the track the tile shows, read every 100 ms.
      const sampler = setInterval(async () => {
        if (!document.contains(video)) return clearInterval(sampler);
        const track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
        const receiver = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.flatMap((pc) => (pc.connectionState === 'closed' ? [] : pc.getReceivers())).find((r) => r.track === track);
        let frames = 0;
        (await receiver?.getStats())?.forEach((stat: { type: string; kind?: string; framesDecoded?: number }) => {
          if (stat.type === 'inbound-rtp' && stat.kind === 'video') frames += stat.framesDecoded ?? 0;
        });
        const now = performance.now();
        const d = record.decoded;
        // A new track counts as moving once it has decoded anything; the same one once its counter rose.
        if ((track && track.id !== d.track && frames > 0) || (track?.id === d.track && frames > d.frames)) {
          d.longest = Math.max(d.longest, now - d.at);
          d.at = now;
        }
        d.track = track?.id ?? '';
        d.frames = frames;
      }, 100);
      new MutationObserver(() => (record.swappedAt = performance.now())).observe(tile, { attributeFilter: ['data-transport'] });
      const onFrame = (now: DOMHighResTimeStamp) => {
        if (now - record.last > record.longest) {
          record.longest = now - record.last;
          record.longestEndedAt = now;
        }
        record.last = now;
        record.frames++;
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
  }, except);
}

interface PresentedGap {
  peerId: string;
  longestMs: number;
  /** The longest stretch in which the shown track's decoded-frame counter, read every 100 ms, did not rise. */
  longestDecodedMs: number;
  frames: number;
  sameElement: boolean;
  /** When the longest gap ended and when the tile's transport changed, in ms since watching began. */
  longestEndedMs: number;
  swappedMs: number;
}

/** Per watched tile, the longest stretch without a presented frame since watching began (the current one included), and whether its element is still the one watched. */
function presentedGaps(page: Evaluator): Promise<PresentedGap[]> {
  return page.evaluate(() => {
    const w = window as unknown as {
      __presented: { [peerId: string]: { last: number; longest: number; longestEndedAt: number; frames: number; swappedAt: number; decoded: { at: number; longest: number } } };
      __watchStart: number;
    };
    const now = performance.now();
    return Object.entries(w.__presented).map(([peerId, r]) => ({
      peerId,
      longestMs: Math.round(Math.max(r.longest, now - r.last)),
      longestDecodedMs: Math.round(Math.max(r.decoded.longest, now - r.decoded.at)),
      frames: r.frames,
      sameElement: (document.querySelector(`.tile[data-peer-id="${peerId}"] video`) as { __watched?: boolean } | null)?.__watched === true,
      longestEndedMs: Math.round((r.longest >= now - r.last ? r.longestEndedAt : now) - w.__watchStart),
      swappedMs: Math.round(r.swappedAt ? r.swappedAt - w.__watchStart : -1),
    }));
  });
}

function routeOf(page: Evaluator): Promise<string | undefined> {
  return page.evaluate(() => document.querySelector<HTMLElement>('.room')?.dataset.mediaRoute);
}

/** The page's peer connections in use (the instrumented list: open, and negotiated with someone; not a spare mesh link waiting for a newcomer). */
function openConnections(page: Evaluator): Promise<number> {
  return page.evaluate(() => (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().length);
}

describe('group calls through Janus', { skip: missing('chromium', 'janus') }, () => {
  let workDir: string;
  let options: JanusOptions;
  let janus: RunningJanus;
  let server: RunningServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const nodePeople: NodeParticipant[] = [];

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'videoapp-sfu-e2e-'));
    options = { workDir, wsHost: '127.0.0.1', wsPort: await freePort(), rtpPorts: RTP_PORTS, ...freshJanusSecrets() };
    janus = await startJanus(options);
    server = await startTestServer({ sfu: { url: janus.url, apiSecret: options.apiSecret, adminKey: options.adminKey } });
    browser = await launchChromium({ extra: [`--use-file-for-fake-video-capture=${fakeCameraFile(ROOM_CAMERA.width, ROOM_CAMERA.height)}`] });
  });
  afterEach(async () => {
    for (const person of nodePeople.splice(0)) person.leave();
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await janus?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function newPage(from: Browser = browser): Promise<Page> {
    const context = await instrumentedContext(from);
    contexts.push(context);
    return context.newPage();
  }

  /** Alice starts a call through the UI; each of `names` joins by its link. */
  async function callOf(names: string[], from: Browser = browser): Promise<{ pages: Page[]; link: string }> {
    const pages: Page[] = [];
    const first = await newPage(from);
    const link = await startNewCall(first, server.url, names[0]);
    await pressJoin(first);
    pages.push(first);
    for (const name of names.slice(1)) {
      const page = await newPage(from);
      await openLobby(page, link, name);
      await pressJoin(page);
      pages.push(page);
    }
    return { pages, link };
  }

  /** Reports both measures of the longest gap; returns the decoded-frame one, which the goal is set on. */
  function reportGaps(t: TestContext, what: string, label: string, gaps: PresentedGap[]): number {
    const decoded = Math.max(...gaps.map((g) => g.longestDecodedMs));
    const presented = Math.max(...gaps.map((g) => g.longestMs));
    reportFigure(t, `${what}: longest stretch without a newly decoded frame of the shown track on ${label}'s screen (read every 100 ms)`, decoded, SWITCH_GAP_TARGET_MS);
    const detail = gaps.map((g) => `${g.frames} frames, longest gap ended at ${g.longestEndedMs} ms, transport changed at ${g.swappedMs} ms`).join('; ');
    reportFigure(t, `${what}: longest stretch without a newly presented picture (requestVideoFrameCallback) on ${label}'s screen (${detail})`, presented, SWITCH_GAP_TARGET_MS);
    assert.ok(
      gaps.every((g) => g.sameElement),
      `${label}: a tile's video element was replaced`,
    );
    return decoded;
  }

  test('two people on P2P; a third moves everyone to the SFU, and back to P2P when one leaves, without a visible gap', async (t) => {
    const {
      pages: [alice, bob],
      link,
    } = await callOf(['Alice', 'Bob']);
    await Promise.all([tilesMoving(alice!, 'Alice', 1, 'mesh'), tilesMoving(bob!, 'Bob', 1, 'mesh')]);
    assert.equal(await routeOf(alice!), 'mesh', 'two people stay peer to peer');

    // Carol's page loads and opens its camera first: the move is what is measured, from her Join on.
    const carol = await newPage();
    await openLobby(carol, link, 'Carol');
    await Promise.all([watchPresentedFrames(alice!), watchPresentedFrames(bob!)]);
    const joinedAt = Date.now();
    await pressJoin(carol);
    const everyone = [alice!, bob!, carol];
    await Promise.all(everyone.map((page, i) => tilesMoving(page, ['Alice', 'Bob', 'Carol'][i]!, 2, 'sfu')));
    reportFigure(t, 'third person pressed Join → all three see both others through Janus', Date.now() - joinedAt, 5_000);
    for (const page of everyone) {
      assert.equal(await routeOf(page), 'sfu');
      // One publishing and one subscribing connection, the mesh links closed once the SFU carried the picture.
      await page.waitForFunction(() => (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().length === 2, undefined, {
        timeout: MEDIA_TIMEOUT_MS,
      });
    }
    const toSfu = [reportGaps(t, 'P2P → SFU', 'Alice', await presentedGaps(alice!)), reportGaps(t, 'P2P → SFU', 'Bob', await presentedGaps(bob!))];

    // Carol leaves: after SFU_TO_MESH_DELAY_MS the two go back to P2P, again make-before-break.
    await Promise.all([watchPresentedFrames(alice!, ['Carol']), watchPresentedFrames(bob!, ['Carol'])]);
    const leftAt = Date.now();
    await carol.getByRole('button', { name: 'Hang up' }).click();
    // The others see her go at once (her goodbye travels through our server, whichever way media goes), and her camera is released.
    await Promise.all(
      [alice!, bob!].map((page) => page.waitForFunction(() => document.querySelectorAll('.tile[data-peer-id]').length === 1, undefined, { timeout: loadedBound(HANG_UP_SEEN_TARGET_MS), polling: 50 })),
    );
    reportFigure(t, 'third person hung up → her tile gone on both other screens', Date.now() - leftAt, HANG_UP_SEEN_TARGET_MS);
    assert.ok(
      (await trackStates(carol)).every((state) => state === 'ended'),
      'hanging up in an SFU call releases camera and microphone',
    );
    await Promise.all([tilesMoving(alice!, 'Alice', 1, 'mesh'), tilesMoving(bob!, 'Bob', 1, 'mesh')]);
    reportFigure(t, 'third person hung up → the two back on P2P (includes the wait of SFU_TO_MESH_DELAY_MS)', Date.now() - leftAt, SFU_TO_MESH_DELAY_MS + 3_000);
    for (const page of [alice!, bob!]) {
      assert.equal(await routeOf(page), 'mesh');
      await page.waitForFunction(() => (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().length === 1, undefined, {
        timeout: MEDIA_TIMEOUT_MS,
      });
    }
    const toMesh = [reportGaps(t, 'SFU → P2P', 'Alice', await presentedGaps(alice!)), reportGaps(t, 'SFU → P2P', 'Bob', await presentedGaps(bob!))];
    const bound = SWITCH_GAP_BOUND_MS;
    assert.ok(
      [...toSfu, ...toMesh].every((gap) => gap <= bound),
      `decoded frames stopped for longer than ${bound} ms: ${[...toSfu, ...toMesh].join(', ')} ms`,
    );
  });

  test('five people (three Chromium, two Node peers) see each other, each page with one publishing and one subscribing connection; Janus restarted mid-call is recovered', async (t) => {
    const { pages, link } = await callOf(['Alice', 'Bob', 'Carol']);
    const roomId = new URL(link).pathname.split('/').pop()!;
    nodePeople.push(NodeParticipant.join(server.url, roomId, 'Dan'), NodeParticipant.join(server.url, roomId, 'Eve'));
    const names = ['Alice', 'Bob', 'Carol'];
    await Promise.all(pages.map((page, i) => tilesMoving(page, names[i]!, 4, 'sfu')));
    // The mesh links close once everyone decodes through the SFU, which the page may notice a little after this test did.
    for (const page of pages)
      await eventually(
        'one publishing and one subscribing connection',
        () => openConnections(page),
        (open) => open === 2,
        MEDIA_TIMEOUT_MS,
      );
    const othersDecoded = (person: NodeParticipant, above: Map<string, number> = new Map()) => {
      const others = [...person.framesByPeer()].filter(([id]) => id !== person.call.selfId);
      return others.length === 4 && others.every(([id, n]) => n >= (above.get(id) ?? 0) + 10);
    };
    await until('the Node peers decode the other four', () => nodePeople.every((person) => othersDecoded(person)), MEDIA_TIMEOUT_MS);

    // Janus dies and comes back: everyone is in the SFU again, on their own.
    await janus.stop();
    const framesBefore = nodePeople.map((person) => person.framesByPeer());
    const restartedAt = Date.now();
    janus = await startJanus(options);
    await Promise.all(pages.map((page, i) => tilesMoving(page, `${names[i]} after the Janus restart`, 4, 'sfu', loadedBound(JANUS_RECOVERY_TARGET_MS))));
    await until('the Node peers decode the others again', () => nodePeople.every((person, i) => othersDecoded(person, framesBefore[i])), loadedBound(JANUS_RECOVERY_TARGET_MS));
    reportFigure(t, 'Janus restarted → everyone decodes everyone again', Date.now() - restartedAt, JANUS_RECOVERY_TARGET_MS);
  });

  test('simulcast: a big tile receives a higher layer than a small one', async (t) => {
    // Alice publishes the built-in fake camera at the app's 1280×720 (three layers, 720, 360 and 180 px
    // high); Carol, who watches her, and Bob, who makes three, cost as little as they can, so a loaded
    // machine does not make Alice's browser scale every layer down.
    const hd = await launchChromium();
    t.after(() => hd.close());
    const alice = await newPage(hd);
    const link = await startNewCall(alice, server.url, 'Alice');
    await pressJoin(alice);
    nodePeople.push(NodeParticipant.join(server.url, new URL(link).pathname.split('/').pop()!, 'Bob'));
    const carol = await newPage();
    await carol.setViewportSize(LARGE_WINDOW);
    await openLobby(carol, link, 'Carol');
    await pressJoin(carol);
    await tilesMoving(carol, 'Carol', 2, 'sfu');
    const aliceTileHeight = async () => (await mediaPerTile(carol)).find((tile) => tile.name === 'Alice')?.frameHeight ?? 0;
    /** The decoded height of Alice's picture once `done` holds for it, or the last one seen after SIMULCAST_SETTLE_MS. */
    const settled = async (done: (height: number) => boolean) => {
      const deadline = Date.now() + SIMULCAST_SETTLE_MS;
      let height = await aliceTileHeight();
      while (!done(height) && Date.now() < deadline) {
        await carol.waitForTimeout(500);
        height = await aliceTileHeight();
      }
      return height;
    };
    // A large window: Alice's tile asks for the high layer; a phone's: a lower one (medium for its two tiles).
    const large = await settled((height) => height >= 720);
    await carol.setViewportSize(SMALL_WINDOW);
    const small = await settled((height) => height > 0 && height <= large / 2);
    t.diagnostic(`decoded height of Alice's picture at Carol: ${large} px in a ${LARGE_WINDOW.width}×${LARGE_WINDOW.height} window, ${small} px in a ${SMALL_WINDOW.width}×${SMALL_WINDOW.height} one`);
    // Whatever a loaded machine makes Alice's browser send, the layers stay a factor of two apart each.
    assert.ok(large >= 360, `a large tile should get a layer of at least 360 px, got ${large}`);
    assert.ok(small <= large / 2, `a small tile should get a lower layer: ${small} px vs ${large} px`);
  });
});

describe('Chromium and Firefox in one room through Janus', { skip: missing('chromium', 'firefox', 'janus') }, () => {
  let workDir: string;
  let janus: RunningJanus;
  let server: RunningServer;
  let chromium: Browser;
  let firefox: FirefoxBrowser;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'videoapp-sfu-firefox-'));
    const options = { workDir, wsHost: '127.0.0.1', wsPort: await freePort(), rtpPorts: RTP_PORTS, ...freshJanusSecrets() };
    janus = await startJanus(options);
    server = await startTestServer({ sfu: { url: janus.url, apiSecret: options.apiSecret, adminKey: options.adminKey } });
    [chromium, firefox] = await Promise.all([launchChromium(), launchFirefox()]);
  });
  after(async () => {
    await firefox?.close();
    await chromium?.close();
    await server?.close();
    await janus?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('two Chromium pages and one Firefox page all decode each other through the SFU', async () => {
    const pages: AnyPage[] = [];
    const first = await (await instrumentedContext(chromium)).newPage();
    const link = await startNewCall(first, server.url, 'Chromium 1');
    await pressJoin(first);
    const second = await (await instrumentedContext(chromium)).newPage();
    await openLobby(second, link, 'Chromium 2');
    await pressJoin(second);
    const fox = await instrumentedFirefoxPage(firefox);
    await joinFromFirefox(fox, link, 'Firefox');
    pages.push(first, second, fox as unknown as AnyPage);
    await Promise.all(pages.map((page, i) => tilesMoving(page, ['Chromium 1', 'Chromium 2', 'Firefox'][i]!, 2, 'sfu')));
    await fox.close();
    await first.context().close();
    await second.context().close();
  });
});
