import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROTOCOL_VERSION } from '@videoapp/protocol';
import { SILENCE_SLACK_MS, SignalingClient, SOCKET_PROBE_MS, type WebSocketConstructor } from './signaling-client.ts';
import { FakeSocket } from './testing/fake-socket.ts';

/** The heartbeat the fake server announces: long, so that no missed beat decides anything unless a test asks for a short one. */
const HEARTBEAT_MS = 5_000;

function connectedClient(heartbeatMs = HEARTBEAT_MS) {
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
  sockets[0]!.receive({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs });
  return { client, sockets };
}

test('media trouble asks the server to answer, and reconnects at once if it has not within SOCKET_PROBE_MS', async (t) => {
  const { client, sockets } = connectedClient();
  t.after(() => client.close());
  assert.equal(client.current.kind, 'open');
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const pings = () => sockets[0]!.sent.filter((m) => m.type === 'ping').length;

  client.reconnectIfSilent();
  assert.equal(pings(), 1, 'asked the server');
  client.reconnectIfSilent();
  assert.equal(pings(), 1, 'one question at a time');
  await wait(SOCKET_PROBE_MS / 2);
  sockets[0]!.receive({ type: 'pong' });
  await wait(SOCKET_PROBE_MS);
  assert.equal(sockets.length, 1, 'the server answered: the socket stays');
  assert.equal(client.current.kind, 'open');

  client.reconnectIfSilent();
  assert.equal(pings(), 2, 'asked again');
  await wait(SOCKET_PROBE_MS + 100);
  assert.equal(sockets.length, 2, 'no answer: a new socket, long before a heartbeat was missed');
  assert.equal(client.current.kind, 'connecting');
  // The silent one is closed only once the new one is open: closed first, its goodbye could reach the server
  // before the new socket's resume, and the others would be told we were away.
  assert.equal(sockets[0]!.readyState, 1, 'the silent one is kept meanwhile');
  sockets[1]!.open();
  sockets[1]!.receive({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs: HEARTBEAT_MS });
  assert.equal((client.current as { kind: string }).kind, 'open');
  assert.equal(sockets[0]!.readyState, 3, 'and closed once the new one is open');
});

test('media trouble on a socket already silent past a heartbeat reconnects without asking', async (t) => {
  // Short enough to wait out, long enough that the watchdog (three missed beats) has not reconnected yet.
  const heartbeatMs = 400;
  const { client, sockets } = connectedClient(heartbeatMs);
  t.after(() => client.close());
  await new Promise((resolve) => setTimeout(resolve, heartbeatMs + SILENCE_SLACK_MS + 50));
  assert.equal(sockets.length, 1);
  client.reconnectIfSilent();
  assert.equal(sockets.length, 2, 'a new socket at once');
  assert.equal(sockets[0]!.sent.filter((m) => m.type === 'ping').length, 0, 'nothing asked of the silent one');
  client.close();
  assert.equal(sockets[0]!.readyState, 3, 'closing the client closes the silent one too');
});
