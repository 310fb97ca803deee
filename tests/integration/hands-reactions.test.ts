// Raised hands and reactions over real sockets, on one process and on two sharing rooms through Redis:
// everyone hears each change in one order, a newcomer is told the hands already up, only the host lowers
// someone else's hand, and a refused message (not the host, a reaction outside the set, past the limit)
// gets its typed error and changes nothing. A raised hand stays up across a dropped socket.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PROTOCOL_VERSION, REACTIONS_PER_MINUTE } from '@videoapp/protocol';
import { DEPLOYMENTS, type Deployment } from '../support/deployment.ts';
import { createRoomAsHost, WsTestClient } from '../support/ws-client.ts';

/** Long enough to be sure a message that should not come has not come (nothing is relayed later than this on loopback). */
const QUIET_MS = 300;

/** Joins; `hands` is the raised-hands list the server sent, or none when it sent none (no hand is up). */
async function joinAs(url: string, roomId: string, name: string, hostKey?: string, expectHands = false) {
  const client = await WsTestClient.greeted(url);
  client.send({ type: 'join', roomId, name, hostKey });
  const joined = await client.next('joined');
  const hands = expectHands ? (await client.next('raised-hands')).peerIds : undefined;
  return { client, id: joined.selfId, hands, resumeToken: joined.resumeToken };
}

async function assertNothing(client: WsTestClient, type: 'hand' | 'reaction' | 'raised-hands', label: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  assert.equal(client.pending().filter((m) => m.type === type).length, 0, label);
}

for (const kind of DEPLOYMENTS)
  describe(`raised hands and reactions: ${kind.name}`, { skip: kind.skip }, () => {
    let deployment: Deployment;
    let clients: WsTestClient[] = [];

    before(async () => {
      deployment = await kind.start({ joinsPerMinutePerAddress: 10_000, roomsPerMinutePerAddress: 10_000 });
    });
    after(() => deployment.close());

    /** Host on the first process, Bo on the second, Cy on the first. */
    async function room() {
      const [first, second] = deployment.urls;
      const { roomId, hostKey } = await createRoomAsHost(first);
      const host = await joinAs(first, roomId, 'Host', hostKey);
      const bo = await joinAs(second, roomId, 'Bo');
      const cy = await joinAs(first, roomId, 'Cy');
      clients = [host.client, bo.client, cy.client];
      return { roomId, host, bo, cy, everyone: clients };
    }

    test('hands: everyone hears each raise in order, a newcomer gets the list, only the host lowers others, a leaver takes their hand, a dropped socket keeps it', async (t) => {
      const { roomId, host, bo, cy, everyone } = await room();
      try {
        bo.client.send({ type: 'hand', raised: true, seq: 1 });
        for (const c of everyone) assert.deepEqual(await c.next('hand'), { type: 'hand', peerId: bo.id, raised: true });
        cy.client.send({ type: 'hand', raised: true, seq: 1 });
        for (const c of everyone) assert.equal((await c.next('hand')).peerId, cy.id);
        // A second raise changes nothing and is not announced.
        bo.client.send({ type: 'hand', raised: true, seq: 2 });
        await assertNothing(host.client, 'hand', 'a hand already up is not announced again');

        const di = await joinAs(deployment.urls[1], roomId, 'Di', undefined, true);
        assert.deepEqual(di.hands, [bo.id, cy.id], 'a newcomer is told the hands up, earliest first');

        cy.client.send({ type: 'lower-hand', peerId: bo.id, seq: 2 });
        const refused = await cy.client.next('error');
        assert.deepEqual([refused.code, refused.about], ['not-room-host', 'lower-hand']);
        await assertNothing(bo.client, 'hand', "a refused lower changes nobody's hand");

        host.client.send({ type: 'lower-hand', peerId: bo.id, seq: 1 });
        for (const c of [...everyone, di.client]) assert.deepEqual(await c.next('hand'), { type: 'hand', peerId: bo.id, raised: false, by: host.id });
        host.client.send({ type: 'lower-hand', peerId: 'ffffffffffffffff', seq: 2 });
        assert.equal((await host.client.next('error')).code, 'peer-not-found');

        cy.client.send({ type: 'hand', raised: false, seq: 3 });
        assert.deepEqual(await bo.client.next('hand'), { type: 'hand', peerId: cy.id, raised: false });

        di.client.send({ type: 'hand', raised: true, seq: 1 });
        await host.client.next('hand');
        di.client.send({ type: 'leave', reason: 'page-exit', seq: 2 });
        await host.client.next('peer-left');
        const eve = await joinAs(deployment.urls[0], roomId, 'Eve');
        await assertNothing(eve.client, 'raised-hands', 'a hand leaves with its person: none is up, so no list is sent');
        eve.client.close();
        di.client.close();

        // Bo's socket drops with his hand up; he resumes on the other process and is told it is still up.
        bo.client.send({ type: 'hand', raised: true, seq: 3 });
        await host.client.next('hand');
        bo.client.ws.terminate();
        await host.client.next('peer-presence');
        const back = await WsTestClient.open(deployment.urls[0]);
        back.send({ type: 'hello', version: PROTOCOL_VERSION, resume: bo.resumeToken, lastSeq: bo.client.lastSeq });
        assert.equal((await back.next('resumed')).selfId, bo.id);
        assert.deepEqual((await back.next('raised-hands')).peerIds, [bo.id], 'a hand stays up across a dropped socket');
        back.close();
        t.diagnostic(`checked on ${new Set(deployment.urls).size} process(es)`);
      } finally {
        for (const c of everyone) c.close();
      }
    });

    test(`reactions: relayed to everyone; one outside the set gets bad-message, one past ${REACTIONS_PER_MINUTE} a minute rate-limited, neither relayed`, async () => {
      const { bo, cy, everyone } = await room();
      try {
        bo.client.send({ type: 'reaction', emoji: '👏', seq: 1 });
        for (const c of everyone) assert.deepEqual(await c.next('reaction'), { type: 'reaction', from: bo.id, emoji: '👏' });

        bo.client.sendInvalid({ type: 'reaction', emoji: '💩', seq: 2 });
        const bad = await bo.client.next('error');
        assert.deepEqual([bad.code, bad.about], ['bad-message', 'reaction']);
        assert.match(bad.message, /^\$\.emoji:/);
        await assertNothing(cy.client, 'reaction', 'a reaction outside the set is not relayed');

        for (let i = 2; i <= REACTIONS_PER_MINUTE; i++) bo.client.send({ type: 'reaction', emoji: '🎉', seq: i + 1 });
        for (let i = 2; i <= REACTIONS_PER_MINUTE; i++) for (const c of everyone) await c.next('reaction');
        bo.client.send({ type: 'reaction', emoji: '🎉', seq: REACTIONS_PER_MINUTE + 2 });
        const limited = await bo.client.next('error');
        assert.deepEqual([limited.code, limited.about], ['rate-limited', 'reaction']);
        await assertNothing(cy.client, 'reaction', 'a reaction past the limit is not relayed');
        // The limit is per person: Cy may still react.
        cy.client.send({ type: 'reaction', emoji: '❤️', seq: 1 });
        assert.equal((await bo.client.next('reaction')).from, cy.id);
      } finally {
        for (const c of everyone) c.close();
      }
    });
  });
