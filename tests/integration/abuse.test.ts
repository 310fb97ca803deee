// Each limit and abuse case, against the real server over real sockets: what is refused, how, and that nobody else notices.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { generateRoomId, MAX_CANDIDATES_PER_PEER, MAX_MESSAGE_BYTES, MESSAGE_BURST_PER_SOCKET } from '@videoapp/protocol';
import WebSocket from 'ws';
import { DEPLOYMENTS, type Deployment } from '../support/deployment.ts';
import { metricValue } from '../support/metrics.ts';
import { clientFrame, closeCodeOf, closedWithin, everythingSent, rawConnect, rawUpgrade } from '../support/raw-socket.ts';
import { startHttpsTestServer, startTestServer } from '../support/test-server.ts';
import { eventually, loadedBound } from '../support/timing.ts';
import { pairInRoom, WsTestClient } from '../support/ws-client.ts';

const offer = { type: 'offer' as const, sdp: 'v=0\r\n' };
const candidate = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.7 54400 typ host', sdpMid: '0', sdpMLineIndex: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A text message of exactly `bytes` bytes, valid JSON of a type the protocol does not have. */
function paddedMessage(bytes: number): string {
  const head = '{"type":"padding","pad":"';
  const tail = '"}';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

/** Sends `text` as one message cut into `fragments` frames (ASCII only, so no character is split). */
function sendInFragments(client: WsTestClient, text: string, fragments: number): void {
  const size = Math.ceil(text.length / fragments);
  for (let at = 0; at < text.length; at += size) client.ws.send(text.slice(at, at + size), { fin: at + size >= text.length });
}

/** The bystanders: a call in another room that must keep working whatever the abuse. */
async function expectStillRelaying(pair: Awaited<ReturnType<typeof pairInRoom>>): Promise<void> {
  pair.a.send({ type: 'description', to: pair.bId, description: offer });
  assert.equal((await pair.b.next('description')).from, pair.aId);
}

/** Timeouts the servers here run with: short, so the tests that wait them out are quick. */
const HANDSHAKE_TIMEOUT_MS = 1000;
const HELLO_TIMEOUT_MS = 500;

for (const kind of DEPLOYMENTS)
  describe(`limits and abuse: ${kind.name}`, { skip: kind.skip }, () => {
    /** The process the abuse is aimed at; the bystanders' call spans both processes of a two-process deployment. */
    let server: { url: string; port: number };
    let deployment: Deployment;
    let bystanders: Awaited<ReturnType<typeof pairInRoom>>;
    before(async () => {
      deployment = await kind.start({
        handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
        helloTimeoutMs: HELLO_TIMEOUT_MS,
        heartbeatIntervalMs: 200,
        heartbeatTimeoutMs: 5000,
        joinsPerMinutePerAddress: 10_000,
        roomsPerMinutePerAddress: 10_000,
      });
      server = { url: deployment.urls[0], port: deployment.port };
      bystanders = await pairInRoom(deployment.urls[0], deployment.urls[1]);
    });
    after(async () => {
      await expectStillRelaying(bystanders);
      await deployment.close();
    });

    test('an oversized frame closes that socket with 1009 and is counted', async () => {
      const before = await metricValue(server.url, 'videoapp_messages_rejected_total{reason="message-too-large"}');
      const c = await WsTestClient.greeted(server.url);
      c.sendRaw(JSON.stringify({ type: 'join', roomId: 'x'.repeat(MAX_MESSAGE_BYTES), name: 'big' }));
      assert.equal((await c.waitClosed()).code, 1009);
      assert.equal(await metricValue(server.url, 'videoapp_messages_rejected_total{reason="message-too-large"}'), before + 1);
      await expectStillRelaying(bystanders);
    });

    test('the size limit counts a message across its fragments: exactly MAX_MESSAGE_BYTES in fragments is read, one byte more closes with 1009', async () => {
      const before = await metricValue(server.url, 'videoapp_messages_rejected_total{reason="message-too-large"}');
      const c = await WsTestClient.greeted(server.url);
      // Each fragment is far below the limit; only their sum reaches it.
      sendInFragments(c, paddedMessage(MAX_MESSAGE_BYTES), 4);
      const answer = await c.next('error');
      assert.deepEqual([answer.code, answer.about], ['bad-message', 'padding']);
      sendInFragments(c, paddedMessage(MAX_MESSAGE_BYTES + 1), 4);
      assert.equal((await c.waitClosed()).code, 1009);
      assert.equal(await metricValue(server.url, 'videoapp_messages_rejected_total{reason="message-too-large"}'), before + 1);
      await expectStillRelaying(bystanders);
    });

    test('compression is off: an offer of permessage-deflate is declined, and a compressed frame is a protocol error, never inflated', async () => {
      const client = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, { perMessageDeflate: true });
      await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
      assert.equal(client.extensions, '');
      client.close();

      // 16 MB of spaces deflate to ~16 KB: a bomb had the server inflated it. Made before the upgrade: on a loaded machine
      // deflating can outlast the hello timeout, and the socket would be closed (4003) before the bomb went out.
      const bomb = deflateRawSync(Buffer.alloc(16 * 1024 * 1024, 0x20));
      assert.ok(bomb.length < MAX_MESSAGE_BYTES);
      const { socket, head } = await rawUpgrade(server.port, ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits']);
      assert.match(head, /^HTTP\/1\.1 101/);
      assert.doesNotMatch(head, /sec-websocket-extensions/i);
      const closed = closeCodeOf(socket);
      socket.write(clientFrame(0x1, bomb, { rsv1: true }));
      assert.equal(await closed, 1002);
      socket.destroy();
      await expectStillRelaying(bystanders);
    });

    test('a TCP connection that never finishes its upgrade request is dropped once the handshake timeout passes', async (t) => {
      const silent = await rawConnect(server.port);
      const partial = await rawConnect(server.port);
      partial.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
      const bound = loadedBound(HANDSHAKE_TIMEOUT_MS);
      const [silentMs, partialMs] = await Promise.all([closedWithin(silent, bound), closedWithin(partial, bound)]);
      // Timers may fire late on a busy machine, never early; 100 ms spares the clocks' granularity.
      assert.ok(silentMs >= HANDSHAKE_TIMEOUT_MS - 100 && partialMs >= HANDSHAKE_TIMEOUT_MS - 100, `dropped too early: ${silentMs} ${partialMs}`);
      t.diagnostic(`dropped after ${silentMs} ms (silent) and ${partialMs} ms (partial request); timeout ${HANDSHAKE_TIMEOUT_MS} ms`);
    });

    test('an upgrade whose target is no URL at all is dropped, and the server lives on', async () => {
      for (const target of ['//', '//a:b@', '//:99999/ws']) {
        const socket = await rawConnect(server.port);
        socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
        await closedWithin(socket, 2000);
      }
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      await expectStillRelaying(bystanders);
    });

    test('a refused upgrade is closed by the server even while the client keeps its side open', async () => {
      const socket = await rawConnect(server.port, { allowHalfOpen: true });
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nOrigin: https://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      await closedWithin(socket, 2000);
    });

    test('a request that is no valid WebSocket handshake gets 400 naming version 13, is counted, and is closed even while the client keeps its side open', async () => {
      const before = await metricValue(server.url, 'videoapp_messages_rejected_total{reason="bad-handshake"}');
      const key = `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`;
      const requests = [
        ['GET', 'Upgrade: websocket', key, 'Sec-WebSocket-Version: 12'],
        ['GET', 'Upgrade: websocket', 'Sec-WebSocket-Key: short', 'Sec-WebSocket-Version: 13'],
        ['GET', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13'],
        ['GET', 'Upgrade: h2c', key, 'Sec-WebSocket-Version: 13'],
        ['POST', 'Upgrade: websocket', key, 'Sec-WebSocket-Version: 13'],
      ];
      for (const [method, ...headers] of requests) {
        const socket = await rawConnect(server.port, { allowHalfOpen: true });
        const answer = everythingSent(socket, 3000);
        socket.write(`${method} /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: Upgrade\r\n${headers.join('\r\n')}\r\n\r\n`);
        assert.match(await answer, /^HTTP\/1\.1 400 [\s\S]*\r\nSec-WebSocket-Version: 13\r\n/, headers.join(', '));
      }
      assert.equal(await metricValue(server.url, 'videoapp_messages_rejected_total{reason="bad-handshake"}'), before + requests.length);
    });

    test('a WebSocket that never says hello is closed with 4003', async (t) => {
      const c = await WsTestClient.open(server.url);
      const started = Date.now();
      const closed = await c.waitClosed(loadedBound(HELLO_TIMEOUT_MS));
      assert.deepEqual(closed, { code: 4003, reason: 'no hello' });
      t.diagnostic(`closed after ${Date.now() - started} ms; timeout ${HELLO_TIMEOUT_MS} ms`);
    });

    test('a flood gets rate-limited errors, then a close with its reason', async () => {
      const c = await WsTestClient.greeted(server.url);
      for (let i = 0; i < MESSAGE_BURST_PER_SOCKET + 150; i++) c.send({ type: 'pong' });
      assert.equal((await c.next('error')).code, 'rate-limited');
      assert.deepEqual(await c.waitClosed(), { code: 4002, reason: 'message rate exceeded' });
      await expectStillRelaying(bystanders);
    });

    test('candidates past the per-peer limit get too-many-candidates; a new description starts a new count', async () => {
      const { a, b, bId } = await pairInRoom(server.url);
      // Paced so the per-socket token bucket never runs dry: this test is about the candidate count alone.
      for (let i = 0; i < MAX_CANDIDATES_PER_PEER; i++) {
        a.send({ type: 'candidate', to: bId, candidate });
        if (i >= MESSAGE_BURST_PER_SOCKET - 10) await sleep(25);
      }
      a.send({ type: 'candidate', to: bId, candidate });
      const refused = await a.next('error');
      assert.deepEqual([refused.code, refused.about], ['too-many-candidates', 'candidate']);
      let relayed = 0;
      while (relayed < MAX_CANDIDATES_PER_PEER) {
        await b.next('candidate');
        relayed++;
      }
      assert.equal(b.pending().filter((m) => m.type === 'candidate').length, 0, 'the refused candidate was relayed');
      a.send({ type: 'description', to: bId, description: offer });
      a.send({ type: 'candidate', to: bId, candidate });
      await b.next('candidate');
      a.close();
      b.close();
    });

    test('a socket from another site is refused before the upgrade, and counted', async () => {
      const before = await metricValue(server.url, 'videoapp_messages_rejected_total{reason="bad-origin"}');
      for (const origin of ['https://evil.example', `http://127.0.0.1:${server.port}.evil.example`, 'null', `https://127.0.0.1:${server.port + 1}`]) {
        await assert.rejects(WsTestClient.open(server.url, { Origin: origin }), /403/, origin);
      }
      assert.equal(await metricValue(server.url, 'videoapp_messages_rejected_total{reason="bad-origin"}'), before + 4);
    });

    test('binary frames close the socket with 1008', async () => {
      const c = await WsTestClient.greeted(server.url);
      c.sendRaw(Buffer.from([1, 2, 3]));
      assert.equal((await c.waitClosed()).code, 1008);
    });
  });

describe('behind a reverse proxy', () => {
  test('limits count the client a trusted proxy names, and nobody else can name one', async () => {
    const forwarded = (client: string) => ({ 'X-Forwarded-For': client });
    const behindProxy = await startTestServer({ trustedProxies: ['127.0.0.1'], socketsPerAddress: 2 });
    try {
      const ada = [await WsTestClient.open(behindProxy.url, forwarded('203.0.113.5')), await WsTestClient.open(behindProxy.url, forwarded('203.0.113.5'))];
      await assert.rejects(WsTestClient.open(behindProxy.url, forwarded('203.0.113.5')), /429/, "Ada's third socket");
      const bob = await WsTestClient.open(behindProxy.url, forwarded('203.0.113.6'));
      for (const c of [...ada, bob]) c.close();
    } finally {
      await behindProxy.close();
    }
    // The same header from a peer that is not a trusted proxy changes nothing: both sockets count against 127.0.0.1.
    const direct = await startTestServer({ trustedProxies: ['10.0.0.1'], socketsPerAddress: 2 });
    try {
      const two = [await WsTestClient.open(direct.url, forwarded('203.0.113.5')), await WsTestClient.open(direct.url, forwarded('203.0.113.6'))];
      await assert.rejects(WsTestClient.open(direct.url, forwarded('203.0.113.7')), /429/);
      for (const c of two) c.close();
    } finally {
      await direct.close();
    }
  });
});

describe('over HTTPS', () => {
  test('a connection that never starts TLS is dropped once the handshake timeout passes', async (t) => {
    const server = await startHttpsTestServer({ handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS });
    try {
      const silent = await rawConnect(server.port);
      const ms = await closedWithin(silent, loadedBound(HANDSHAKE_TIMEOUT_MS));
      assert.ok(ms >= HANDSHAKE_TIMEOUT_MS - 100, `dropped too early: ${ms} ms`);
      t.diagnostic(`dropped after ${ms} ms; timeout ${HANDSHAKE_TIMEOUT_MS} ms`);
    } finally {
      await server.close();
    }
  });
});

describe('an operator-allowed origin', () => {
  test('is accepted alongside our own', async () => {
    const server = await startTestServer({ allowedOrigins: ['https://app.example'] });
    try {
      (await WsTestClient.open(server.url, { Origin: 'https://app.example' })).close();
      await assert.rejects(WsTestClient.open(server.url, { Origin: 'https://app.example.evil' }), /403/);
    } finally {
      await server.close();
    }
  });
});

describe('sockets per address', () => {
  test('one address past its socket limit gets 429; closing one frees a place', async () => {
    const server = await startTestServer({ socketsPerAddress: 5 });
    try {
      const open = await Promise.all(Array.from({ length: 5 }, () => WsTestClient.greeted(server.url)));
      await assert.rejects(WsTestClient.open(server.url), /429/);
      assert.equal(await metricValue(server.url, 'videoapp_messages_rejected_total{reason="too-many-sockets"}'), 1);
      open[0]!.close();
      await open[0]!.waitClosed();
      // The server frees the place when it has seen the close itself.
      await eventually(
        'the closed socket forgotten',
        () => metricValue(server.url, 'videoapp_sockets'),
        (count) => count === 4,
      );
      const again = await WsTestClient.greeted(server.url);
      again.send({ type: 'pong' });
      for (const c of [...open.slice(1), again]) c.close();
    } finally {
      await server.close();
    }
  });
});

describe('room-ID guessing', () => {
  test('guesses find nothing and hit the join limit; lookups over HTTP share it', async () => {
    const joinsPerMinute = 20;
    const server = await startTestServer({ joinsPerMinutePerAddress: joinsPerMinute });
    try {
      const guesser = await WsTestClient.greeted(server.url);
      const codes: string[] = [];
      for (let i = 0; i < joinsPerMinute + 5; i++) {
        guesser.send({ type: 'join', roomId: generateRoomId(), name: 'guesser' });
        codes.push((await guesser.next('error')).code);
      }
      assert.deepEqual(codes.slice(0, joinsPerMinute), Array(joinsPerMinute).fill('room-not-found'));
      assert.deepEqual(codes.slice(joinsPerMinute), Array(5).fill('rate-limited'));
      const lookup = await fetch(`${server.url}/api/rooms/0000-0000-0000-0001`);
      assert.equal(lookup.status, 429);
      assert.equal(((await lookup.json()) as { error: { code: string } }).error.code, 'rate-limited');
      guesser.close();
    } finally {
      await server.close();
    }
  });
});

describe('the HTTP API', () => {
  test('a create-room body that is too big, not JSON, or has unknown fields is refused with a code', async () => {
    const server = await startTestServer();
    try {
      const post = (body: string) => fetch(`${server.url}/api/rooms`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
      const big = await post(JSON.stringify({ passcode: 'x'.repeat(4096) }));
      assert.deepEqual([big.status, ((await big.json()) as { error: { code: string } }).error.code], [413, 'message-too-large']);
      const notJson = await post('{');
      assert.deepEqual([notJson.status, ((await notJson.json()) as { error: { code: string } }).error.code], [400, 'bad-message']);
      const polluted = await post('{"__proto__":{"admin":true}}');
      assert.deepEqual([polluted.status, ((await polluted.json()) as { error: { code: string } }).error.code], [400, 'bad-message']);
      assert.equal(({} as Record<string, unknown>).admin, undefined);
      assert.equal(await metricValue(server.url, 'videoapp_rooms'), 0);
    } finally {
      await server.close();
    }
  });
});
