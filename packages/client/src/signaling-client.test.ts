import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROTOCOL_VERSION } from '@videoapp/protocol';
import { SILENCE_SLACK_MS, SignalingClient, type WebSocketConstructor } from './signaling-client.ts';
import { FakeSocket } from './testing/fake-socket.ts';

/**
 * The heartbeat the fake server announces: short, so a missed one takes
 * little real time, yet long enough that the watchdog (three missed beats)
 * comes after media trouble's second look (one beat and SILENCE_SLACK_MS).
 */
const HEARTBEAT_MS = 400;

function connectedClient() {
  const sockets: FakeSocket[] = [];
  const client = new SignalingClient({
    url: 'ws://test/ws',
    WebSocket: class {
      constructor() {
        const socket = new FakeSocket();
        sockets.push(socket);
        // biome-ignore lint/correctness/noConstructorReturn: the fake stands in for the socket the client asked for
        return socket;
      }
    } as unknown as WebSocketConstructor,
  });
  client.connect();
  sockets[0]!.open();
  sockets[0]!.receive({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs: HEARTBEAT_MS });
  return { client, sockets };
}

test('media trouble reconnects a socket whose server missed a heartbeat, and leaves one that spoke alone', async (t) => {
  const { client, sockets } = connectedClient();
  t.after(() => client.close());
  assert.equal(client.current.kind, 'open');
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  client.reconnectIfSilent();
  assert.equal(sockets.length, 1, 'the server spoke just now: the socket stays');
  const secondLook = HEARTBEAT_MS + SILENCE_SLACK_MS;
  await wait(secondLook - 400);
  sockets[0]!.receive({ type: 'ping' });
  await wait(500);
  assert.equal(sockets.length, 1, 'the second look, when a heartbeat was due, found the server speaking: still fine');

  client.reconnectIfSilent();
  assert.equal(sockets.length, 1, 'not silent yet');
  await wait(500);
  assert.equal(sockets.length, 2, 'the second look found it silent past a heartbeat: a new socket at once');
  assert.equal(sockets[0]!.readyState, 3, 'the old one is dropped');
  assert.equal(client.current.kind, 'connecting');
});
