// A call over a bad link: 5% packet loss each way and 150 ms of added one-way delay.
// Alice and Bob sit in namespaces that reach each other only through coturn (see
// tests/support/turn-lab.ts); between each of them and coturn runs our own UDP
// delay relay (the kernel here has no netem), and iptables drops 5% of Alice's packets.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext, launchChromium, remoteMedia } from '../support/browsers.ts';
import { missing } from '../support/requires.ts';
import { LOADED_MACHINE_FACTOR } from '../support/timing.ts';
import { SERVICE_IP, TURN_PORT, TurnLab } from '../support/turn-lab.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

const LOSS_SHARE = 0.05;
/** Media crosses the relay twice one way (to coturn, and from coturn to the other side), so each crossing adds half. */
const ONE_WAY_DELAY_MS = 150;
const RELAY_PORT = TURN_PORT + 1;
/** What the call should hold on this link, reported beside the figures measured. */
const TARGET_FPS = 15;
/**
 * What fails the test: the frame rate also falls when the machine is busy (the encoder adapts to
 * the CPU it gets), so the floor is LOADED_MACHINE_FACTOR times lower. It still tells a call that
 * holds from one that froze or collapsed.
 */
const MIN_FPS = TARGET_FPS / LOADED_MACHINE_FACTOR;
const MEASURE_MS = 10_000;

describe('a call over a lossy, slow link', { skip: missing('netns', 'chromium', 'coturn', 'iptables') }, () => {
  let lab: TurnLab;
  let relay: ChildProcess;
  const browsers: Browser[] = [];

  before(async () => {
    const secret = randomBytes(24).toString('base64url');
    lab = TurnLab.build();
    await lab.startCoturn(secret);
    relay = spawn(
      'ip',
      [
        'netns',
        'exec',
        lab.core,
        process.execPath,
        '--import',
        'tsx',
        new URL('../support/udp-delay-relay.ts', import.meta.url).pathname,
        `${SERVICE_IP}:${RELAY_PORT}`,
        `${SERVICE_IP}:${TURN_PORT}`,
        String(ONE_WAY_DELAY_MS / 2),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => relay.stdout!.once('data', () => resolve()));
    await lab.startServer({ TURN_URLS: `turn:${SERVICE_IP}:${RELAY_PORT}?transport=udp`, TURN_SECRET: secret });
    for (const chain of ['INPUT', 'OUTPUT']) {
      execFileSync('ip', ['netns', 'exec', lab.sides.a.ns, 'iptables', '-A', chain, '-m', 'statistic', '--mode', 'random', '--probability', String(LOSS_SHARE), '-j', 'DROP']);
    }
  });
  after(async () => {
    for (const b of browsers) await b.close().catch(() => {});
    relay?.kill('SIGTERM');
    await lab?.destroy();
  });

  test(`5% loss and ${ONE_WAY_DELAY_MS} ms delay: the call holds, both sides decoding video throughout`, async (t) => {
    const extra = [`--unsafely-treat-insecure-origin-as-secure=${lab.appUrl}`];
    const [a, b] = await Promise.all([launchChromium({ executablePath: lab.chromiumIn('a'), extra }), launchChromium({ executablePath: lab.chromiumIn('b'), extra })]);
    browsers.push(a, b);
    const alice = await (await instrumentedContext(a)).newPage();
    const bob = await (await instrumentedContext(b)).newPage();
    const link = await startNewCall(alice, lab.appUrl, 'Alice');
    await pressJoin(alice);
    await openLobby(bob, link, 'Bob');
    await pressJoin(bob);
    await Promise.all([waitForCallState(alice, 'connected', 30_000), waitForCallState(bob, 'connected', 30_000)]);
    await Promise.all([expectMediaFlowing(alice, 'Alice', 500), expectMediaFlowing(bob, 'Bob', 500)]);

    const start = await Promise.all([remoteMedia(alice), remoteMedia(bob)]);
    const startedAt = Date.now();
    await bob.waitForTimeout(MEASURE_MS);
    const end = await Promise.all([remoteMedia(alice), remoteMedia(bob)]);
    // Over the time that really passed: a busy machine stretches the window.
    const measuredMs = Date.now() - startedAt;
    const fps = end.map((e, i) => ((e.framesDecoded - start[i]!.framesDecoded) * 1000) / measuredMs);
    const rttMs = await bob.evaluate(async () => {
      let rtt = 0;
      (await (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().at(-1)!.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') rtt = Math.max(rtt, s.currentRoundTripTime * 1000);
      });
      return rtt;
    });
    t.diagnostic(
      `lossy link: decoded ${fps[0]!.toFixed(1)} fps at Alice, ${fps[1]!.toFixed(1)} fps at Bob over ${(measuredMs / 1000).toFixed(1)} s (target ${TARGET_FPS}); round trip ${rttMs.toFixed(0)} ms; ${end[1]!.frameWidth}x${end[1]!.frameHeight} at Bob`,
    );
    assert.ok(rttMs >= 2 * ONE_WAY_DELAY_MS, `the delay is really there: round trip ${rttMs} ms`);
    for (const [i, who] of ['Alice', 'Bob'].entries()) assert.ok(fps[i]! >= MIN_FPS, `${who} decoded ${fps[i]} fps, under even the loaded-machine floor of ${MIN_FPS}`);
  });
});
