// "Ask to join" over real sockets, on one process and on two sharing rooms through Redis (the host on one,
// knockers on the other): who may knock and who may answer, what a knocker hears (their place and the
// answer, nothing of the room), reloads of either side, the per-address knock limit and the waiting-list
// cap, and that every refusal changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_LISTED_KNOCKERS, MAX_WAITING_KNOCKERS, type MessageOf, type ServerMessage } from '@videoapp/protocol';
import { DEPLOYMENTS, type Deployment } from '../support/deployment.ts';
import { createRoomAsHost, WsTestClient } from '../support/ws-client.ts';

const PASSCODE = 'green otter 7';
/** Knocks one address may make per minute in these tests: each test knocks from addresses of its own. */
const KNOCKS_PER_MINUTE = 12;
/** Short, so a knocker who never comes back is seen leaving the list within the test. */
const GRACE_MS = 2_000;
/** What a knocker may ever hear: nothing of the room (no peers, signals, media or ICE servers). */
const KNOCKER_MESSAGES = new Set(['knock-waiting', 'knock-admitted', 'knock-denied', 'error']);

type Knockers = MessageOf<ServerMessage, 'knockers'>;

/** Waits for the host's list to show `waiting` people (earlier lists are passed over). */
async function untilWaiting(host: WsTestClient, waiting: number): Promise<Knockers> {
  for (;;) {
    const list = await host.next('knockers', 5_000);
    if (list.waiting === waiting) return list;
  }
}

function assertHeardNothingOfTheRoom(knocker: WsTestClient): void {
  const heard = knocker.pending().map((m) => m.type);
  assert.deepEqual(
    heard.filter((type) => !KNOCKER_MESSAGES.has(type)),
    [],
    `a knocker heard: ${heard.join(', ')}`,
  );
}

for (const kind of DEPLOYMENTS) {
  describe(`ask to join (${kind.name})`, { skip: kind.skip }, () => {
    let deployment: Deployment;
    let hostUrl: string;
    let knockUrl: string;
    let nextAddress = 1;
    /** A client address no other test knocks from, so each test has its own knock allowance. */
    const freshAddress = () => `127.0.2.${nextAddress++}`;
    const open: WsTestClient[] = [];

    before(async () => {
      deployment = await kind.start({ knocksPerMinutePerAddress: KNOCKS_PER_MINUTE, joinsPerMinutePerAddress: 10_000, roomsPerMinutePerAddress: 10_000, resumeGraceMs: GRACE_MS });
      [hostUrl, knockUrl] = deployment.urls;
    });
    after(async () => {
      for (const c of open) c.close();
      await deployment.close();
    });

    async function client(url: string, address?: string): Promise<WsTestClient> {
      const c = await WsTestClient.greeted(url, address);
      open.push(c);
      return c;
    }

    /** A room whose host is in it with "Ask to join" on, and one other person inside. */
    async function askingRoom(passcode?: string) {
      const { roomId, hostKey } = await createRoomAsHost(hostUrl, passcode);
      const host = await client(hostUrl);
      host.send({ type: 'join', roomId, name: 'Hana', hostKey });
      assert.equal((await host.next('joined')).askToJoin, false);
      const inside = await client(knockUrl);
      inside.send({ type: 'join', roomId, name: 'Ines', passcode });
      const insideToken = (await inside.next('joined')).resumeToken;
      await host.next('peer-joined');
      host.send({ type: 'ask-to-join', on: true });
      assert.deepEqual(await host.next('room-ask-to-join'), { type: 'room-ask-to-join', on: true });
      assert.deepEqual(await inside.next('room-ask-to-join'), { type: 'room-ask-to-join', on: true });
      return { roomId, hostKey, host, inside, insideToken };
    }

    async function knock(roomId: string, name: string, address: string, extra: { passcode?: string; token?: string } = {}) {
      const c = await client(knockUrl, address);
      c.send({ type: 'knock', roomId, name, ...extra });
      return c;
    }

    test('a newcomer must knock; admitted, they join with the knock token, which is then spent', async () => {
      const { roomId, host, inside } = await askingRoom();
      const address = freshAddress();
      const newcomer = await client(knockUrl, address);
      newcomer.send({ type: 'join', roomId, name: 'Kai' });
      assert.equal((await newcomer.next('error')).code, 'knock-required');
      newcomer.send({ type: 'knock', roomId, name: 'Kai' });
      const waiting = await newcomer.next('knock-waiting');
      assert.equal(waiting.position, 1);
      const list = await untilWaiting(host, 1);
      assert.deepEqual(
        list.knockers.map((k) => k.name),
        ['Kai'],
      );
      assert.equal(inside.pending().filter((m) => m.type === 'knockers').length, 0, 'only the host sees who knocks');
      // The room goes on while Kai waits: none of it reaches him.
      inside.send({ type: 'media', media: { audio: true, video: false } });
      await host.next('peer-media');
      assertHeardNothingOfTheRoom(newcomer);

      host.send({ type: 'admit', knockId: list.knockers[0]!.id });
      await newcomer.next('knock-admitted');
      await untilWaiting(host, 0);
      assertHeardNothingOfTheRoom(newcomer);
      newcomer.send({ type: 'join', roomId, name: 'Kai', knock: waiting.token });
      const joined = await newcomer.next('joined');
      assert.deepEqual(joined.peers.map((p) => p.name).sort(), ['Hana', 'Ines']);
      assert.equal(joined.askToJoin, true);
      assert.equal((await host.next('peer-joined')).peer.name, 'Kai');

      // Spent: the same token lets nobody else in.
      const copycat = await client(knockUrl, freshAddress());
      copycat.send({ type: 'join', roomId, name: 'Copy', knock: waiting.token });
      assert.equal((await copycat.next('error')).code, 'knock-required');
    });

    test('denied, a knocker is told so and their token opens nothing; a cancelled knock leaves the list', async () => {
      const { roomId, host } = await askingRoom();
      const address = freshAddress();
      const dora = await knock(roomId, 'Dora', address);
      const doraToken = (await dora.next('knock-waiting')).token;
      const carl = await knock(roomId, 'Carl', address);
      assert.equal((await carl.next('knock-waiting')).position, 2);
      const list = await untilWaiting(host, 2);
      assert.deepEqual(
        list.knockers.map((k) => k.name),
        ['Dora', 'Carl'],
        'oldest first',
      );

      host.send({ type: 'deny', knockId: list.knockers[0]!.id });
      assert.deepEqual(await dora.next('knock-denied'), { type: 'knock-denied', reason: 'denied' });
      assert.equal((await carl.next('knock-waiting')).position, 1, 'Carl moves up the line');
      assert.deepEqual(
        (await untilWaiting(host, 1)).knockers.map((k) => k.name),
        ['Carl'],
      );
      dora.send({ type: 'join', roomId, name: 'Dora', knock: doraToken });
      assert.equal((await dora.next('error')).code, 'knock-required');
      // A reloaded Dora hears the answer again rather than waiting anew.
      const doraAgain = await knock(roomId, 'Dora', address, { token: doraToken });
      assert.deepEqual(await doraAgain.next('knock-denied'), { type: 'knock-denied', reason: 'denied' });

      carl.send({ type: 'knock-cancel' });
      await untilWaiting(host, 0);
      carl.send({ type: 'knock-cancel' });
      assert.equal((await carl.next('error')).code, 'out-of-order');
    });

    test('only the host answers or switches; bad answers and forged tokens change nothing', async () => {
      const { roomId, host, inside } = await askingRoom();
      const address = freshAddress();
      const kim = await knock(roomId, 'Kim', address);
      const { token } = await kim.next('knock-waiting');
      const { knockers } = await untilWaiting(host, 1);
      const knockId = knockers[0]!.id;

      for (const msg of [
        { type: 'admit', knockId },
        { type: 'deny', knockId },
        { type: 'ask-to-join', on: false },
      ] as const) {
        inside.send(msg);
        assert.equal((await inside.next('error')).code, 'not-room-host', msg.type);
      }
      host.send({ type: 'admit', knockId: 'f'.repeat(16) });
      assert.equal((await host.next('error')).code, 'knock-not-found');
      const forged = await knock(roomId, 'Kim', address, { token: `${knockId}.${'A'.repeat(22)}` });
      assert.equal((await forged.next('error')).code, 'knock-not-found');
      const elsewhere = await knock((await createRoomAsHost(hostUrl)).roomId, 'Kim', address, { token });
      assert.equal((await elsewhere.next('error')).code, 'knock-not-found', 'a token is good only at its own room');
      kim.send({ type: 'admit', knockId });
      assert.equal((await kim.next('error')).code, 'out-of-order', 'a knocker is in no room');

      // Still waiting, in the same place, and still the host's to answer.
      assert.deepEqual(kim.pending(), []);
      host.send({ type: 'admit', knockId });
      await kim.next('knock-admitted');
    });

    test('a reloaded knocker keeps their place; a reloaded host sees the list again; one who never returns leaves it', async () => {
      const { roomId, hostKey, host } = await askingRoom();
      const address = freshAddress();
      const first = await knock(roomId, 'Fay', address);
      await first.next('knock-waiting');
      const second = await knock(roomId, 'Sam', address);
      const { token, position } = await second.next('knock-waiting');
      assert.equal(position, 2);
      await untilWaiting(host, 2);

      second.close();
      const reloaded = await knock(roomId, 'Sam', address, { token });
      assert.deepEqual(await reloaded.next('knock-waiting'), { type: 'knock-waiting', token, position: 2 });

      host.send({ type: 'leave', reason: 'page-exit' });
      host.close();
      const hostAgain = await client(hostUrl);
      hostAgain.send({ type: 'join', roomId, name: 'Hana', hostKey });
      assert.equal((await hostAgain.next('joined')).askToJoin, true);
      const list = await untilWaiting(hostAgain, 2);
      assert.deepEqual(
        list.knockers.map((k) => k.name),
        ['Fay', 'Sam'],
      );
      assertHeardNothingOfTheRoom(first);

      // Fay's tab closes for good: once her grace has passed she is off the list.
      const closedAt = Date.now();
      first.close();
      assert.deepEqual(
        (await untilWaiting(hostAgain, 1)).knockers.map((k) => k.name),
        ['Sam'],
      );
      assert.ok(Date.now() - closedAt >= GRACE_MS - 100, 'not before her grace ran out');
    });

    test('passcode first, a locked room refuses knocks, and turning "Ask to join" off lets everyone waiting in', async () => {
      const { roomId, host } = await askingRoom(PASSCODE);
      const address = freshAddress();
      const noPasscode = await knock(roomId, 'Pia', address);
      assert.equal((await noPasscode.next('error')).code, 'wrong-passcode');
      const pia = await knock(roomId, 'Pia', address, { passcode: PASSCODE });
      const { token } = await pia.next('knock-waiting');
      await untilWaiting(host, 1);

      host.send({ type: 'lock', locked: true });
      await host.next('room-lock');
      const late = await knock(roomId, 'Lou', address, { passcode: PASSCODE });
      assert.equal((await late.next('error')).code, 'room-locked');
      host.send({ type: 'lock', locked: false });
      await host.next('room-lock');

      host.send({ type: 'ask-to-join', on: false });
      await host.next('room-ask-to-join');
      await pia.next('knock-admitted');
      await untilWaiting(host, 0);
      pia.send({ type: 'join', roomId, name: 'Pia', knock: token });
      await pia.next('joined');
    });

    test('a page that was in the room comes back in without knocking; a token of another room does not', async () => {
      const { roomId, inside, insideToken, host } = await askingRoom();
      const other = await client(knockUrl);
      other.send({ type: 'join', roomId: (await createRoomAsHost(hostUrl)).roomId, name: 'Elsewhere' });
      const otherToken = (await other.next('joined')).resumeToken;
      const stranger = await client(knockUrl, freshAddress());
      stranger.send({ type: 'join', roomId, name: 'Ines', rejoin: otherToken });
      assert.equal((await stranger.next('error')).code, 'knock-required', "another room's token proves nothing here");

      // Ines's page reloads: its session ends with the page, and its last token shows it was here.
      inside.send({ type: 'leave', reason: 'page-exit' });
      await host.next('peer-left');
      const reloaded = await client(knockUrl);
      reloaded.send({ type: 'join', roomId, name: 'Ines', rejoin: insideToken });
      assert.equal((await reloaded.next('joined')).peers[0]?.name, 'Hana');
    });

    test('a flood of knockers is cut off per address and by the waiting-list cap; the host gets a short list and a count', async () => {
      const { roomId, host } = await askingRoom();
      const flooder = freshAddress();
      for (let i = 0; i < KNOCKS_PER_MINUTE; i++) await (await knock(roomId, `F${i}`, flooder)).next('knock-waiting');
      const over = await knock(roomId, 'One too many', flooder);
      assert.equal((await over.next('error')).code, 'rate-limited');

      for (let i = KNOCKS_PER_MINUTE; i < MAX_WAITING_KNOCKERS; i++) await (await knock(roomId, `F${i}`, freshAddress())).next('knock-waiting');
      const list = await untilWaiting(host, MAX_WAITING_KNOCKERS);
      assert.equal(list.knockers.length, MAX_LISTED_KNOCKERS);
      const full = await knock(roomId, 'Late', freshAddress());
      assert.equal((await full.next('error')).code, 'waiting-list-full');

      // The host's controls still work: an answer goes through at once.
      host.send({ type: 'deny', knockId: list.knockers[0]!.id });
      assert.equal((await untilWaiting(host, MAX_WAITING_KNOCKERS - 1)).knockers[0]!.name, 'F1');
    });

    test('when the host hangs up with nobody left to answer, the knockers are told', async () => {
      const { roomId, host } = await askingRoom();
      const kit = await knock(roomId, 'Kit', freshAddress());
      await kit.next('knock-waiting');
      await untilWaiting(host, 1);
      host.send({ type: 'leave', reason: 'hang-up' });
      assert.deepEqual(await kit.next('knock-denied'), { type: 'knock-denied', reason: 'host-left' });
    });
  });
}
