/**
 * What one person pays in a group call through the SFU, against a 1:1 call,
 * measured in one run: their uplink (bytes/s), the CPU of their browser, and
 * the time from pressing Join to the first decoded remote frame.
 *
 * Method: the measured person is a real Chromium (its own browser process
 * tree, the app's UI and its 1280×720 fake camera), on our server driving a
 * real Janus. The others are Node peers running our call engine over
 * libwebrtc (tests/support/node-participant.ts) with a small synthetic camera,
 * so the two cores go to the person measured. 1:1: another Chromium (its own
 * browser) waits in the room, the person joins, the call is P2P. Group: `groupSize − 1` Node peers
 * wait in a room already on the SFU, the person joins. Uplink is the sum of
 * `bytesSent` over the page's outbound RTP streams across a window once media
 * flows; CPU is the browser's processes' user+system time over the same window.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { RunningServer } from '@videoapp/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumArgs, instrumentedContext, mediaPerTile } from '../../tests/support/browsers.ts';
import { NodeParticipant } from '../../tests/support/node-participant.ts';
import { until } from '../../tests/support/wrtc-peer.ts';
import { createRoom } from '../../tests/support/ws-client.ts';
import { summarize } from '../stats.ts';

/** Clock ticks per second in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;
/** Longest any call may take to carry media. */
const SETTLE_TIMEOUT_MS = 30_000;
/**
 * After media flows, the sender's bandwidth estimate ramps up (from a few
 * hundred kbit/s in a P2P call): wait this long, so both windows measure a
 * steady state rather than the ramp.
 */
const RAMP_MS = 12_000;

export interface ParticipantPlan {
  groupSize: number;
  windowMs: number;
  /** Joins timed per kind of room. */
  joins: number;
}

export const FULL_PARTICIPANT_PLAN: ParticipantPlan = { groupSize: 6, windowMs: 10_000, joins: 5 };
export const QUICK_PARTICIPANT_PLAN: ParticipantPlan = { groupSize: 3, windowMs: 3_000, joins: 1 };

export interface RoomCost {
  uplinkBytesPerSecond: number;
  /** Per outbound video stream (a simulcast layer, or one per P2P link): "rid width@fps kB/s". */
  videoStreams: string[];
  /** Share of one core used by the person's whole browser. */
  browserCpu: number;
}

export interface ParticipantResults {
  groupSize: number;
  oneToOne: RoomCost;
  group: RoomCost;
  /** Join pressed → first decoded remote frame, in ms, each sample. */
  joinOneToOne: number[];
  joinGroup: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** User + system CPU ticks and parent of every process, from /proc. */
function processTable(): Map<number, { ppid: number; ticks: number }> {
  const table = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state, ppid, …, utime (12th), stime (13th).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended between listing and reading.
    }
  }
  return table;
}

/** CPU seconds so far of the browser whose main process carries `tag`, and of all its descendants (renderers, GPU, network, audio). */
export function cpuSecondsTagged(tag: string): number {
  const roots = execFileSync('pgrep', ['-f', '--', tag], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  const table = processTable();
  const inTree = new Set(roots);
  // Parents are listed before children only by chance: repeat until no process joins.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { ppid }] of table) {
      if (!inTree.has(pid) && inTree.has(ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of inTree) ticks += table.get(pid)?.ticks ?? 0;
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** Each outbound video stream of the page: its simulcast layer (rid), size, frame rate and bytes so far. */
function outboundVideo(page: Page): Promise<{ rid: string; width: number; fps: number; bytes: number }[]> {
  return page.evaluate(async () => {
    const streams: { rid: string; width: number; fps: number; bytes: number }[] = [];
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: { type: string; kind?: string; rid?: string; frameWidth?: number; framesPerSecond?: number; bytesSent?: number }) => {
        if (s.type === 'outbound-rtp' && s.kind === 'video') streams.push({ rid: s.rid ?? '-', width: s.frameWidth ?? 0, fps: s.framesPerSecond ?? 0, bytes: s.bytesSent ?? 0 });
      });
    }
    return streams;
  });
}

function bytesSent(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let bytes = 0;
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: { type: string; bytesSent?: number }) => {
        if (s.type === 'outbound-rtp') bytes += s.bytesSent ?? 0;
      });
    }
    return bytes;
  });
}

/** Opens the room link in a fresh page, types a name, and resolves with the page once the lobby's Join can be pressed. */
async function lobby(browser: Browser, serverUrl: string, roomId: string): Promise<Page> {
  const page = await (await instrumentedContext(browser)).newPage();
  await page.goto(`${serverUrl}/r/${roomId}`);
  await page.getByLabel('Your name').fill('Measured');
  await page.getByRole('button', { name: 'Join', exact: true }).waitFor();
  return page;
}

/** Presses Join and resolves with the time until every one of `others` tiles has decoded a frame. */
async function joinToFrames(page: Page, others: number): Promise<number> {
  const pressed = performance.now();
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  for (;;) {
    const tiles = await mediaPerTile(page);
    if (tiles.length === others && tiles.every((tile) => tile.framesDecoded > 0)) return performance.now() - pressed;
    if (performance.now() - pressed > SETTLE_TIMEOUT_MS) throw new Error(`no frames from ${others} people within ${SETTLE_TIMEOUT_MS} ms: ${JSON.stringify(tiles)}`);
    await sleep(20);
  }
}

/** The people already in the room when the person measured joins. */
interface Others {
  roomId: string;
  /** Whether every one of them decodes the person measured. */
  decodeMeasured(): Promise<boolean>;
  leave(): Promise<void>;
}

/**
 * The other person of a 1:1 call: a Chromium page of its own browser (a Node
 * peer's bandwidth estimation ramps a P2P sender more slowly than a browser's
 * does, which would make the 1:1 uplink look smaller than it is).
 */
async function chromiumOther(browser: Browser, serverUrl: string): Promise<Others> {
  const roomId = await createRoom(serverUrl);
  const page = await lobby(browser, serverUrl, roomId);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.locator('.room[data-call-state="waiting"]').waitFor();
  return {
    roomId,
    decodeMeasured: async () => (await mediaPerTile(page)).some((tile) => tile.framesDecoded > 0),
    leave: () => page.context().close(),
  };
}

/** Node peers in a fresh room; with three or more, waits until the room is on the SFU and they see each other. */
async function nodeOthers(serverUrl: string, count: number): Promise<Others> {
  const roomId = await createRoom(serverUrl);
  const people = Array.from({ length: count }, (_, i) => NodeParticipant.join(serverUrl, roomId, `Peer ${i + 1}`));
  await until(`${count} Node peers seeing each other`, () => people.every((p) => [...p.framesByPeer().values()].filter((n) => n > 5).length === count - 1), SETTLE_TIMEOUT_MS);
  return {
    roomId,
    decodeMeasured: async () => people.every((p) => p.framesByPeer().size === count),
    leave: async () => {
      for (const person of people) person.leave();
    },
  };
}

async function othersOf(otherBrowser: Browser, serverUrl: string, count: number): Promise<Others> {
  return count === 1 ? chromiumOther(otherBrowser, serverUrl) : nodeOthers(serverUrl, count);
}

interface Browsers {
  /** The person measured: its whole process tree carries `tag` at its root. */
  measured: Browser;
  tag: string;
  /** The other person of 1:1 calls. */
  other: Browser;
}

async function measureRoom(browsers: Browsers, serverUrl: string, others: number, windowMs: number): Promise<{ cost: RoomCost; joinMs: number }> {
  const room = await othersOf(browsers.other, serverUrl, others);
  const page = await lobby(browsers.measured, serverUrl, room.roomId);
  try {
    const joinMs = await joinToFrames(page, others);
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    while (!(await room.decodeMeasured())) {
      if (performance.now() > deadline) throw new Error('the others never decoded the person measured');
      await sleep(100);
    }
    await sleep(RAMP_MS);
    const bytesBefore = await bytesSent(page);
    const streamsBefore = await outboundVideo(page);
    const cpuBefore = cpuSecondsTagged(browsers.tag);
    const started = performance.now();
    await sleep(windowMs);
    const seconds = (performance.now() - started) / 1000;
    // Matched by rid: getStats lists the streams in no set order.
    const videoStreams = (await outboundVideo(page)).map(
      (v) => `${v.rid} ${v.width}px@${Math.round(v.fps)} ${Math.round((v.bytes - (streamsBefore.find((b) => b.rid === v.rid)?.bytes ?? 0)) / seconds / 1000)} kB/s`,
    );
    const cost = {
      uplinkBytesPerSecond: ((await bytesSent(page)) - bytesBefore) / seconds,
      videoStreams,
      browserCpu: (cpuSecondsTagged(browsers.tag) - cpuBefore) / seconds,
    };
    return { cost, joinMs };
  } finally {
    await page.context().close();
    await room.leave();
  }
}

/** Times one more join per kind of room (no cost window), for the join figures. */
async function timeJoin(browsers: Browsers, serverUrl: string, others: number): Promise<number> {
  const room = await othersOf(browsers.other, serverUrl, others);
  const page = await lobby(browsers.measured, serverUrl, room.roomId);
  try {
    return await joinToFrames(page, others);
  } finally {
    await page.context().close();
    await room.leave();
  }
}

/** `server` must drive an SFU. */
export async function runParticipant(server: RunningServer, plan: ParticipantPlan, log: (line: string) => void): Promise<ParticipantResults> {
  const tag = `--videoapp-bench-${process.pid}`;
  const browsers: Browsers = {
    measured: await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...chromiumArgs(), tag] }),
    tag,
    other: await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs() }),
  };
  try {
    const oneToOne = await measureRoom(browsers, server.url, 1, plan.windowMs);
    log(
      `  1:1 (P2P): uplink ${Math.round(oneToOne.cost.uplinkBytesPerSecond / 1000)} kB/s, browser CPU ${(oneToOne.cost.browserCpu * 100).toFixed(0)}% of a core, join → frames ${Math.round(oneToOne.joinMs)} ms; video sent: ${oneToOne.cost.videoStreams.join(', ')}`,
    );
    const group = await measureRoom(browsers, server.url, plan.groupSize - 1, plan.windowMs);
    log(
      `  ${plan.groupSize} people (SFU): uplink ${Math.round(group.cost.uplinkBytesPerSecond / 1000)} kB/s, browser CPU ${(group.cost.browserCpu * 100).toFixed(0)}% of a core, join → frames ${Math.round(group.joinMs)} ms; video sent: ${group.cost.videoStreams.join(', ')}`,
    );
    const joinOneToOne = [oneToOne.joinMs];
    const joinGroup = [group.joinMs];
    for (let i = 1; i < plan.joins; i++) {
      joinOneToOne.push(await timeJoin(browsers, server.url, 1));
      joinGroup.push(await timeJoin(browsers, server.url, plan.groupSize - 1));
    }
    log(`  join → first frames, median of ${plan.joins}: 1:1 ${Math.round(summarize(joinOneToOne).median)} ms, SFU room ${Math.round(summarize(joinGroup).median)} ms`);
    return { groupSize: plan.groupSize, oneToOne: oneToOne.cost, group: group.cost, joinOneToOne, joinGroup };
  } finally {
    await browsers.measured.close();
    await browsers.other.close();
  }
}
