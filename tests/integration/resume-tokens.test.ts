// Resume tokens: they expire (and are renewed while the session lives), name the room's life, and a session
// that ended stays ended — also for a server process started after it, which shares only the data folder.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROTOCOL_VERSION } from '@videoapp/protocol';
import { freePort } from '../support/free-port.ts';
import { ServerProcess } from '../support/server-process.ts';
import { startTestServer } from '../support/test-server.ts';
import { createRoomAsHost, WsTestClient } from '../support/ws-client.ts';

async function resumeWith(url: string, token: string): Promise<WsTestClient> {
  const client = await WsTestClient.open(url);
  client.send({ type: 'hello', version: PROTOCOL_VERSION, resume: token });
  return client;
}

async function joinRoom(url: string, roomId: string, fields: { name: string; passcode?: string; hostKey?: string }) {
  const client = await WsTestClient.greeted(url);
  client.send({ type: 'join', roomId, ...fields });
  return { client, joined: await client.next('joined') };
}

describe('resume tokens across a real restart', () => {
  let dataDir: string;
  let server: ServerProcess;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'videoapp-resume-'));
    server = new ServerProcess(await freePort(), { DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    await server.start();
  });
  after(async () => {
    await server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('someone who hung up cannot get back into a passcode room with their token after the server restarts; someone who only dropped can', async () => {
    const { roomId, hostKey } = await createRoomAsHost(server.url, 'quiet room');
    const host = await joinRoom(server.url, roomId, { name: 'Host', hostKey });
    const leaver = await joinRoom(server.url, roomId, { name: 'Leaver', passcode: 'quiet room' });
    const stayer = await joinRoom(server.url, roomId, { name: 'Stayer', passcode: 'quiet room' });
    leaver.client.send({ type: 'leave', reason: 'hang-up', seq: 1 });
    assert.equal((await host.client.next('peer-left')).peerId, leaver.joined.selfId);

    await server.kill();
    await server.start();

    const refused = await resumeWith(server.url, leaver.joined.resumeToken);
    assert.equal((await refused.next('error')).code, 'session-expired');
    const back = await resumeWith(server.url, stayer.joined.resumeToken);
    const resumed = await back.next('resumed');
    assert.equal(resumed.selfId, stayer.joined.selfId);
    assert.notEqual(resumed.resumeToken, stayer.joined.resumeToken, 'a resume hands out a fresh token');
    for (const c of [refused, back, host.client, leaver.client, stayer.client]) c.close();
  });
});

describe('resume token lifetime', () => {
  test('a live session is sent fresh tokens; an expired token is refused, a fresh one is honoured', async () => {
    const server = await startTestServer({ resumeTokenLifetimeMs: 1_500, resumeTokenRenewMs: 300, resumeGraceMs: 1_000 });
    try {
      const { roomId } = await createRoomAsHost(server.url);
      const { client, joined } = await joinRoom(server.url, roomId, { name: 'Ada' });
      const first = await client.next('resume-token');
      assert.notEqual(first.resumeToken, joined.resumeToken);
      // Wait until the token from `joined` is past its lifetime, while renewals keep coming.
      let latest = first.resumeToken;
      const issuedAt = Date.now();
      while (Date.now() - issuedAt < 1_600) latest = (await client.next('resume-token')).resumeToken;
      client.ws.terminate();
      const stale = await resumeWith(server.url, joined.resumeToken);
      assert.equal((await stale.next('error')).code, 'session-expired');
      const fresh = await resumeWith(server.url, latest);
      assert.equal((await fresh.next('resumed')).selfId, joined.selfId);
      stale.close();
      fresh.close();
    } finally {
      await server.close();
    }
  });
});
