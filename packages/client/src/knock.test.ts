import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Knock, type KnockState } from './knock.ts';
import type { WebSocketConstructor } from './signaling-client.ts';
import { FakeSocket } from './testing/fake-socket.ts';

const TOKEN = `${'0'.repeat(16)}.${'t'.repeat(22)}`;

/** A Knock over fake sockets; `sockets` are those it opened, in order. */
function knockOverFakeSockets(token?: string) {
  const sockets: FakeSocket[] = [];
  const knock = new Knock({
    signalingUrl: 'ws://videoapp.test/ws',
    WebSocket: class extends FakeSocket {
      constructor() {
        super();
        sockets.push(this);
      }
    } as unknown as WebSocketConstructor,
    roomId: 'aaaa-bbbb-cccc-dddd',
    name: 'Kai',
    passcode: 'open sesame',
    token,
  });
  const states: KnockState['kind'][] = [];
  knock.on('state', (s) => states.push(s.kind));
  return { knock, sockets, states };
}

function greet(socket: FakeSocket): void {
  socket.open();
  socket.receive({ type: 'welcome', version: 1, heartbeatMs: 2000 });
}

test('knocks once greeted, keeps the token it is given, and knocks with it (not the passcode) on a new socket', async () => {
  const { knock, sockets, states } = knockOverFakeSockets();
  const tokens: string[] = [];
  knock.on('token', (t) => tokens.push(t));
  knock.start();
  greet(sockets[0]!);
  assert.deepEqual(sockets[0]!.sent.at(-1), { type: 'knock', roomId: 'aaaa-bbbb-cccc-dddd', name: 'Kai', passcode: 'open sesame' });
  sockets[0]!.receive({ type: 'knock-waiting', token: TOKEN, position: 3 });
  assert.deepEqual([tokens, knock.current], [[TOKEN], { kind: 'waiting', position: 3 }]);

  sockets[0]!.onclose?.();
  // The signaling client reconnects after its back-off.
  for (let waited = 0; sockets.length < 2 && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  greet(sockets[1]!);
  assert.deepEqual(sockets[1]!.sent.at(-1), { type: 'knock', roomId: 'aaaa-bbbb-cccc-dddd', name: 'Kai', token: TOKEN });
  sockets[1]!.receive({ type: 'knock-admitted' });
  assert.deepEqual(knock.current, { kind: 'admitted', token: TOKEN });
  assert.deepEqual(states, ['waiting', 'admitted']);
  assert.equal(sockets[1]!.readyState, 3, 'nothing left to wait for: the socket is closed');
});

test('a reloaded page knocks with its kept token; a denial, a refusal and a cancel each end the wait', () => {
  const denied = knockOverFakeSockets(TOKEN);
  denied.knock.start();
  greet(denied.sockets[0]!);
  assert.equal((denied.sockets[0]!.sent.at(-1) as { token?: string }).token, TOKEN);
  denied.sockets[0]!.receive({ type: 'knock-denied', reason: 'host-left' });
  assert.deepEqual(denied.knock.current, { kind: 'denied', reason: 'host-left' });

  const refused = knockOverFakeSockets();
  refused.knock.start();
  greet(refused.sockets[0]!);
  refused.sockets[0]!.receive({ type: 'error', code: 'rate-limited', message: 'not about the knock', about: 'chat' });
  assert.deepEqual(refused.knock.current, { kind: 'knocking' });
  refused.sockets[0]!.receive({ type: 'error', code: 'waiting-list-full', message: 'full', about: 'knock' });
  assert.deepEqual(refused.knock.current, { kind: 'refused', code: 'waiting-list-full' });

  const cancelled = knockOverFakeSockets();
  cancelled.knock.start();
  greet(cancelled.sockets[0]!);
  cancelled.sockets[0]!.receive({ type: 'knock-waiting', token: TOKEN, position: 1 });
  cancelled.knock.cancel();
  assert.deepEqual(cancelled.sockets[0]!.sent.at(-1), { type: 'knock-cancel' });
  assert.deepEqual(cancelled.knock.current, { kind: 'cancelled' });
});
