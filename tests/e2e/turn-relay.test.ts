// Calls through a real coturn between two network namespaces that cannot reach
// each other (see tests/support/turn-lab.ts for the network). Each side runs its
// own Chromium inside its namespace; the app, unchanged, gets TURN credentials
// from the signaling server and must relay through coturn to connect at all.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { NEVER_CONNECTED_MS } from '@videoapp/client';
import type { Browser, Page } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext, launchChromium, remoteMedia } from '../support/browsers.ts';
import { icePath } from '../support/ice-path.ts';
import { missing } from '../support/requires.ts';
import { eventually } from '../support/timing.ts';
import { type Side, TurnLab } from '../support/turn-lab.ts';
import { callStatesSeen, openLobby, pressJoin, recordCallStates, recordSignaling, startNewCall, waitForCallState } from '../support/ui.ts';

/** From Bob's Join, how long both sides may take to say a call with no possible path could not connect: the engine's bound, plus room for a loaded machine. */
const UNREACHABLE_SHOWN_WITHIN_MS = NEVER_CONNECTED_MS + 15_000;
/**
 * Credential lifetime in the refresh test: short enough to expire mid-test, long enough that a call set up on a
 * loaded machine still allocates its relay with them (4 s sometimes left too little, and the call never connected).
 */
const SHORT_TTL_SECONDS = 10;
const CONNECT_TIMEOUT_MS = 20_000;
/** How much of coturn's log a call that did not connect prints. */
const COTURN_LOG_LINES_ON_FAILURE = 40;

describe('calls through coturn between networks that cannot reach each other', { skip: missing('netns', 'chromium', 'coturn', 'iptables') }, () => {
  const secret = randomBytes(24).toString('base64url');
  const figures: string[] = [];
  let lab: TurnLab;
  const browsers: Partial<Record<Side, Browser>> = {};
  /** What each page warned of, for the diagnosis of a call that does not connect. */
  const pageWarnings = new WeakMap<Page, string[]>();

  before(async () => {
    lab = TurnLab.build();
    await lab.startCoturn(secret);
    // The camera needs a secure context; the lab's plain-HTTP address stands in for an HTTPS one.
    const extra = [`--unsafely-treat-insecure-origin-as-secure=${lab.appUrl}`];
    for (const side of ['a', 'b'] as const) browsers[side] = await launchChromium({ executablePath: lab.chromiumIn(side), extra });
  });
  after(async () => {
    for (const browser of Object.values(browsers)) await browser?.close().catch(() => {});
    await lab?.destroy();
    if (figures.length) console.log(`TURN figures:\n  ${figures.join('\n  ')}`);
  });

  const withTurn = (transports: ('udp' | 'tcp')[], ttlSeconds = 3600) => ({ TURN_URLS: lab.turnUrls(transports).join(','), TURN_SECRET: secret, TURN_TTL_SECONDS: String(ttlSeconds) });

  /** Alice (side a) opens a new call and waits; Bob (side b) joins by its link. Returns once both are past "Join". */
  async function dial(hideIp: Side[] = []): Promise<{ alice: Page; bob: Page; bobJoinedAt: number }> {
    const alice = await (await instrumentedContext(browsers.a!)).newPage();
    const bob = await (await instrumentedContext(browsers.b!)).newPage();
    await Promise.all([recordSignaling(alice), recordSignaling(bob)]);
    for (const page of [alice, bob]) {
      const lines: string[] = [];
      pageWarnings.set(page, lines);
      page.on('console', (message) => {
        if (message.type() === 'warning' || message.type() === 'error') lines.push(message.text());
      });
    }
    const link = await startNewCall(alice, lab.appUrl, 'Alice');
    if (hideIp.includes('a')) await alice.getByLabel('Hide my IP address').check();
    await pressJoin(alice);
    await waitForCallState(alice, 'waiting');
    await openLobby(bob, link, 'Bob');
    if (hideIp.includes('b')) await bob.getByLabel('Hide my IP address').check();
    const bobJoinedAt = Date.now();
    await pressJoin(bob);
    // Every state each room shows from here on, for the diagnosis of a call that does not connect.
    await Promise.all([recordCallStates(alice), recordCallStates(bob)]);
    return { alice, bob, bobJoinedAt };
  }

  async function connect(hideIp: Side[] = []): Promise<{ alice: Page; bob: Page; connectMs: number }> {
    const { alice, bob, bobJoinedAt } = await dial(hideIp);
    try {
      await waitForCallState(bob, 'connected', CONNECT_TIMEOUT_MS);
      const connectMs = Date.now() - bobJoinedAt;
      await waitForCallState(alice, 'connected', CONNECT_TIMEOUT_MS);
      return { alice, bob, connectMs };
    } catch (error) {
      // Where it stopped, so that a call that never connects says more than a timeout.
      const relayLog = lab.coturnLog().trim().split('\n').slice(-COTURN_LOG_LINES_ON_FAILURE).join('\n');
      throw new Error(`the call did not connect: Alice ${JSON.stringify(await linkDiagnosis(alice))}, Bob ${JSON.stringify(await linkDiagnosis(bob))}\ncoturn's last lines:\n${relayLog}`, {
        cause: error,
      });
    }
  }

  /** The room's state and, for every connection of the page, its states and the candidates each side gathered or was given. */
  async function linkDiagnosis(page: Page): Promise<unknown> {
    const inPage = await page.evaluate(async () => {
      const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
      return {
        call: document.querySelector('.room')?.getAttribute('data-call-state'),
        statesSeen: (window as unknown as { __callStates?: string[] }).__callStates,
        signaling: (window as unknown as { __signals?: string[] }).__signals,
        links: await Promise.all(
          pcs.map(async (pc) => {
            const candidates: string[] = [];
            (await pc.getStats()).forEach((s: { type: string; candidateType?: string; address?: string; relayProtocol?: string }) => {
              if (s.type === 'local-candidate' || s.type === 'remote-candidate') candidates.push(`${s.type.split('-')[0]} ${s.candidateType} ${s.address ?? ''}`);
            });
            return { connection: pc.connectionState, ice: pc.iceConnectionState, gathering: pc.iceGatheringState, signaling: pc.signalingState, remote: pc.remoteDescription?.type, candidates };
          }),
        ),
      };
    });
    return { ...inPage, warnings: pageWarnings.get(page) };
  }

  async function hangUp(...pages: Page[]): Promise<void> {
    for (const page of pages) await page.context().close();
  }

  test('relayed over UDP: both sides select a relay candidate pair and decode frames', async () => {
    await lab.startServer(withTurn(['udp']));
    const { alice, bob, connectMs } = await connect();
    try {
      const [a, b] = await Promise.all([expectMediaFlowing(alice, 'Alice'), expectMediaFlowing(bob, 'Bob')]);
      const [pathA, pathB] = await Promise.all([icePath(alice), icePath(bob)]);
      assert.equal(pathA.local?.type, 'relay');
      assert.equal(pathB.local?.type, 'relay');
      assert.equal(pathA.local?.relayProtocol, 'udp');
      assert.ok(a.framesDecoded > 0 && b.framesDecoded > 0);
      figures.push(`UDP relay: Bob's Join to connected ${connectMs} ms; frames decoded after the 2 s window: Alice ${a.framesDecoded}, Bob ${b.framesDecoded}`);
    } finally {
      await hangUp(alice, bob);
    }
  });

  /**
   * Dials a call that cannot connect and waits until both sides say so.
   * Returns how long Bob waited, and every state either side showed meanwhile.
   */
  async function dialUnreachable(): Promise<{ alice: Page; bob: Page; shownMs: number; seen: string[] }> {
    const { alice, bob, bobJoinedAt } = await dial();
    await Promise.all([waitForCallState(bob, 'unreachable', UNREACHABLE_SHOWN_WITHIN_MS), waitForCallState(alice, 'unreachable', UNREACHABLE_SHOWN_WITHIN_MS)]);
    const shownMs = Date.now() - bobJoinedAt;
    const seen = [...new Set([...(await callStatesSeen(alice)), ...(await callStatesSeen(bob))])];
    // Not "connected", and never "lost" or "reconnecting": this link never carried media.
    assert.ok(!seen.includes('connected') && !seen.includes('reconnecting'), `states seen: ${seen.join(', ')}`);
    assert.ok(seen.includes('connecting'), 'the peers did find each other through signaling');
    const [a, b] = await Promise.all([remoteMedia(alice), remoteMedia(bob)]);
    assert.deepEqual([a.framesDecoded, b.framesDecoded], [0, 0]);
    for (const page of [alice, bob]) assert.equal(await page.getByText('connection was lost').count(), 0);
    return { alice, bob, shownMs, seen };
  }

  test('with TURN switched off the call never connects, and both sides say the server has no relay', async () => {
    await lab.startServer({});
    const { alice, bob, shownMs, seen } = await dialUnreachable();
    try {
      for (const [page, other] of [
        [alice, 'Bob'],
        [bob, 'Alice'],
      ] as const) {
        const status = page.getByRole('status').filter({ hasText: `Could not connect to ${other}` });
        await status.filter({ hasText: 'This server has no relay (TURN) configured' }).waitFor();
      }
      figures.push(`no TURN: "could not connect, no relay" shown on both sides ${shownMs} ms after Bob's Join (states seen: ${seen.join(', ')})`);
    } finally {
      await hangUp(alice, bob);
    }
  });

  test('with TURN handed out but unreachable (UDP dropped, no TCP relay), both sides say the networks may block calls', async () => {
    await lab.startServer(withTurn(['udp']));
    lab.setUdpBlocked('a', true);
    lab.setUdpBlocked('b', true);
    try {
      const { alice, bob, shownMs } = await dialUnreachable();
      try {
        for (const page of [alice, bob]) {
          await page.getByRole('status').filter({ hasText: 'Their network or yours may block calls' }).waitFor();
          assert.equal(await page.getByText('no relay').count(), 0);
        }
        figures.push(`TURN unreachable: "could not connect" shown on both sides ${shownMs} ms after Bob's Join`);
      } finally {
        await hangUp(alice, bob);
      }
    } finally {
      lab.setUdpBlocked('a', false);
      lab.setUdpBlocked('b', false);
    }
  });

  test('"Hide my IP address" on a server without TURN says why the call cannot connect', async () => {
    await lab.startServer({});
    const { alice, bob } = await dial(['a']);
    try {
      await waitForCallState(alice, 'connecting');
      await alice.getByRole('status').filter({ hasText: 'has no relay' }).waitFor();
    } finally {
      await hangUp(alice, bob);
    }
  });

  test('TURN over TCP when a firewall drops every UDP datagram the peers send', async () => {
    await lab.startServer(withTurn(['udp', 'tcp']));
    lab.setUdpBlocked('a', true);
    lab.setUdpBlocked('b', true);
    try {
      const { alice, bob, connectMs } = await connect();
      try {
        await Promise.all([expectMediaFlowing(alice, 'Alice'), expectMediaFlowing(bob, 'Bob')]);
        const [pathA, pathB] = await Promise.all([icePath(alice), icePath(bob)]);
        assert.deepEqual([pathA.local?.type, pathA.local?.relayProtocol], ['relay', 'tcp']);
        assert.deepEqual([pathB.local?.type, pathB.local?.relayProtocol], ['relay', 'tcp']);
        figures.push(`TCP relay (UDP dropped): Bob's Join to connected ${connectMs} ms`);
      } finally {
        await hangUp(alice, bob);
      }
    } finally {
      lab.setUdpBlocked('a', false);
      lab.setUdpBlocked('b', false);
    }
  });

  test('"Hide my IP address" relays even where a direct path exists, and the other side never learns the address', async () => {
    await lab.startServer(withTurn(['udp']));
    lab.setPeersRoutable(true);
    try {
      // Without the option the peers take the direct path: the lab really offers one.
      const direct = await connect();
      try {
        await expectMediaFlowing(direct.bob, 'Bob (direct)');
        assert.equal((await icePath(direct.alice)).local?.type, 'host');
        assert.ok((await icePath(direct.bob)).remoteAddresses.includes(lab.sides.a.ip));
      } finally {
        await hangUp(direct.alice, direct.bob);
      }

      const hidden = await connect(['a']);
      try {
        await Promise.all([expectMediaFlowing(hidden.alice, 'Alice'), expectMediaFlowing(hidden.bob, 'Bob')]);
        const [pathA, pathB] = await Promise.all([icePath(hidden.alice), icePath(hidden.bob)]);
        assert.equal(pathA.local?.type, 'relay');
        assert.equal(pathB.remote?.type, 'relay');
        assert.ok(!pathB.remoteAddresses.includes(lab.sides.a.ip), `Bob saw ${pathB.remoteAddresses.join(', ')}`);
        figures.push(`relay-only ("Hide my IP address") with a direct path available: Bob's Join to connected ${hidden.connectMs} ms (direct: ${direct.connectMs} ms)`);
      } finally {
        await hangUp(hidden.alice, hidden.bob);
      }
    } finally {
      lab.setPeersRoutable(false);
    }
  });

  test('credentials are refreshed before they expire: an ICE restart after the first ones expired relays again', async () => {
    await lab.startServer(withTurn(['udp'], SHORT_TTL_SECONDS));
    const { alice, bob } = await connect();
    try {
      const before = await icePath(alice);
      assert.equal(before.local?.type, 'relay');
      // Past the lifetime of the credentials given at join (their username starts with their expiry, in
      // seconds), with a margin for coturn's clock: coturn now refuses those.
      const firstExpiryMs = Number(before.iceServerUsernames[0]?.split(':')[0]) * 1000;
      await alice.waitForTimeout(Math.max(0, firstExpiryMs + 1500 - Date.now()));
      // Both sides must hold fresh credentials before the restart: Bob's arrive on their own schedule, and on a
      // loaded machine later than Alice's; a side still holding expired ones cannot allocate a new relay.
      const [now] = await Promise.all([
        eventually(
          "fresh credentials on Alice's peer connection",
          () => icePath(alice),
          (p) => p.iceServerUsernames.join() !== before.iceServerUsernames.join(),
        ),
        eventually(
          "fresh credentials on Bob's peer connection",
          () => icePath(bob),
          (p) => Number(p.iceServerUsernames[0]?.split(':')[0]) * 1000 > Date.now(),
        ),
      ]);
      const expiry = Number(now.iceServerUsernames[0]?.split(':')[0]);
      assert.ok(expiry * 1000 > Date.now(), `the peer connection holds unexpired credentials (expiry ${expiry})`);

      const restartedAt = Date.now();
      await alice.evaluate(() => (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs()[0]!.restartIce());
      const after = await eventually(
        'a new candidate pair after the ICE restart',
        () => icePath(alice),
        (p) => p.local !== undefined && p.local.id !== before.local?.id,
        30_000,
      );
      assert.equal(after.local?.type, 'relay');
      assert.notEqual(after.local?.port, before.local?.port, 'through a new allocation');
      await Promise.all([expectMediaFlowing(alice, 'Alice'), expectMediaFlowing(bob, 'Bob')]);
      figures.push(`ICE restart with refreshed credentials (TTL ${SHORT_TTL_SECONDS} s, restarted after expiry): new relay pair in ${Date.now() - restartedAt} ms`);
    } finally {
      await hangUp(alice, bob);
    }
  });
});
