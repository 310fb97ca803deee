// What coturn, run with deploy/coturn/turnserver.conf, grants and refuses: the
// credentials VideoApp issues work, forged or expired ones do not, and the relay
// will not forward to loopback, private, link-local or multicast addresses.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { issueTurnCredentials, type TurnSettings } from '@videoapp/server';
import { type RunningCoturn, startCoturn } from '../../scripts/coturn.ts';
import { freeUdpTcpPort } from '../support/free-port.ts';
import { missing } from '../support/requires.ts';
import { TurnClient } from '../support/turn-client.ts';

/** An address in a denied range that the test configuration explicitly allows, so a refusal elsewhere is the policy, not a broken client. */
const ALLOWED_PEER = '198.18.0.1';
const RELAY_PORTS = { min: 40000 + Math.floor(Math.random() * 400) * 50, span: 50 };

describe('coturn with the production policy', { skip: missing('coturn') }, () => {
  const workDir = mkdtempSync(join(tmpdir(), 'vaturn-coturn-'));
  const secret = randomBytes(24).toString('base64url');
  let coturn: RunningCoturn;
  let turn: TurnSettings;
  let port: number;
  const clients: TurnClient[] = [];
  const client = async () => {
    const c = await TurnClient.open({ address: '127.0.0.1', port });
    clients.push(c);
    return c;
  };

  before(async () => {
    port = await freeUdpTcpPort();
    coturn = await startCoturn({
      secret,
      listeningIps: ['127.0.0.1'],
      relayIp: '127.0.0.1',
      port,
      relayPorts: { min: RELAY_PORTS.min, max: RELAY_PORTS.min + RELAY_PORTS.span },
      allowedPeerIps: [ALLOWED_PEER],
      workDir,
    });
    turn = { urls: [`turn:127.0.0.1:${port}`], secret, ttlSeconds: 600 };
    // The ready line comes as the listeners open: wait until one answers.
    const probe = await client();
    assert.equal((await probe.binding()).ok, true);
  });
  after(async () => {
    for (const c of clients) c.close();
    await coturn?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('credentials issued by the server get an allocation on the relay address', async () => {
    const { username, credential } = issueTurnCredentials(turn, 'alice');
    const started = performance.now();
    const answer = await (await client()).allocate(username!, credential!);
    const ms = performance.now() - started;
    assert.equal(answer.ok, true, JSON.stringify(answer));
    assert.equal(answer.ok && answer.relayed?.address, '127.0.0.1');
    console.log(`allocation (challenge + authenticated request) took ${ms.toFixed(1)} ms`);
  });

  test('a credential made with the wrong secret is refused with 401', async () => {
    const forged = issueTurnCredentials({ ...turn, secret: 'not-the-secret' }, 'mallory');
    const answer = await (await client()).allocate(forged.username!, forged.credential!);
    assert.deepEqual(answer.ok ? answer : { code: answer.code }, { code: 401 });
  });

  test('a genuine credential whose expiry has passed is refused with 401', async () => {
    const expired = issueTurnCredentials(turn, 'alice', Date.now() - (turn.ttlSeconds + 60) * 1000);
    assert.ok(Number(expired.username!.split(':')[0]) * 1000 < Date.now());
    const answer = await (await client()).allocate(expired.username!, expired.credential!);
    assert.deepEqual(answer.ok ? answer : { code: answer.code }, { code: 401 });
  });

  test('a genuine credential with its username altered (a longer expiry) is refused with 401', async () => {
    const { username, credential } = issueTurnCredentials(turn, 'alice');
    const stretched = `${Number(username!.split(':')[0]) + 86_400}:alice`;
    const answer = await (await client()).allocate(stretched, credential!);
    assert.deepEqual(answer.ok ? answer : { code: answer.code }, { code: 401 });
  });

  test('the relay refuses (403) to forward to loopback, private, link-local, CGNAT and multicast addresses', async () => {
    const relay = await client();
    const { username, credential } = issueTurnCredentials(turn, 'alice');
    assert.equal((await relay.allocate(username!, credential!)).ok, true);
    assert.equal((await relay.createPermission(ALLOWED_PEER)).ok, true, 'an allowed peer gets a permission');
    const refused: Record<string, number | 'granted'> = {};
    const denied = ['127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.1', '224.0.0.251', '239.255.255.250', '198.18.0.2'];
    for (const peer of denied) {
      const answer = await relay.createPermission(peer);
      refused[peer] = answer.ok ? 'granted' : answer.code;
    }
    assert.deepEqual(refused, Object.fromEntries(denied.map((peer) => [peer, 403])));
  });
});
