// The call's per-peer outage timing, end to end through the engine: a fake socket plays the
// server, a fake peer connection plays the browser's ICE, and mocked timers play the clock.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type IceServer, PROTOCOL_VERSION } from '@videoapp/protocol';
import { type CallState, RECENT_NETWORK_CHANGE_MS } from './call.ts';
import { NEVER_CONNECTED_MS, PEER_LOST_AFTER_MS, type PeerStatus, peerStatus } from './call-state.ts';
import { DISCONNECTED_RESTART_MS } from './peer-link.ts';
import { FakePeerConnection } from './testing/fake-peer-connection.ts';
import { callOverFakeSocket } from './testing/fake-socket.ts';

const ROOM_ID = '0123-4567-89ab-cdef';
/** Long enough that no heartbeat is missed while the test moves the clock by many seconds. */
const HEARTBEAT_MS = 600_000;
const TURN: IceServer = { urls: ['turn:turn.example.com:3478?transport=udp'], username: '1:me', credential: 'x' };

/** A call that has joined a room where Ada already is, with the ICE servers the server handed out. */
function callWithAda(t: TestContext, iceServers: IceServer[]) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  let pc: FakePeerConnection | undefined;
  const { call, socket: current } = callOverFakeSocket(() => {
    pc = new FakePeerConnection();
    return pc;
  });
  const states: CallState[] = [];
  const adaStatuses: PeerStatus[] = [];
  call.on('state', (state) => states.push(state));
  call.on('peer-updated', (peer) => adaStatuses.push(peerStatus(peer, Date.now())));
  call.join(ROOM_ID, 'Me', {});
  const socket = current();
  socket.open();
  socket.receive({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs: HEARTBEAT_MS });
  socket.receive({ type: 'joined', roomId: ROOM_ID, selfId: 'me1', peers: [{ id: 'ada1', name: 'Ada' }], resumeToken: 'abcdefghijklmnop.qrstuv', iceServers });
  t.after(() => call.leave());
  return { call, pc: pc!, states, adaStatuses, tick: (ms: number) => t.mock.timers.tick(ms) };
}

test('a link that never comes up is connecting until NEVER_CONNECTED_MS, then unreachable, while ICE keeps restarting', (t) => {
  const { call, pc, states, adaStatuses, tick } = callWithAda(t, []);
  assert.equal(call.state.kind, 'connecting');
  pc.moveTo('connecting');
  pc.moveTo('failed');
  tick(NEVER_CONNECTED_MS - 1);
  assert.equal(states.at(-1)?.kind, 'connecting', 'a failed first attempt is still "connecting" within the bound');
  assert.ok(pc.restarts >= 1, 'ICE restarted after the failure');
  tick(1 + 50);
  // Announced by the engine's own timer: nothing else happened on the link.
  assert.deepEqual(states.at(-1), { kind: 'unreachable', peer: call.peerList()[0], relayAvailable: false });
  assert.equal(adaStatuses.at(-1), 'unreachable');
  assert.ok(!states.some((s) => s.kind === 'reconnecting'), `never "lost" or "reconnecting": ${states.map((s) => s.kind).join(', ')}`);
});

test('the unreachable state says whether the server handed out a TURN relay', (t) => {
  const { call, pc, states, tick } = callWithAda(t, [TURN]);
  pc.moveTo('failed');
  tick(NEVER_CONNECTED_MS + 50);
  assert.equal(call.relayAvailable, true);
  assert.deepEqual(states.at(-1), { kind: 'unreachable', peer: call.peerList()[0], relayAvailable: true });
});

test('a link that connects in time is never called unreachable', (t) => {
  const { pc, states, tick } = callWithAda(t, []);
  tick(NEVER_CONNECTED_MS / 2);
  pc.moveTo('connected');
  tick(NEVER_CONNECTED_MS);
  assert.deepEqual(
    states.map((s) => s.kind),
    ['joining', 'connecting', 'connected'],
  );
});

test('a link that had connected and then failed is lost, not unreachable; a brief drop is reconnecting until PEER_LOST_AFTER_MS', (t) => {
  const { call, pc, states, adaStatuses, tick } = callWithAda(t, []);
  pc.moveTo('connected');
  pc.moveTo('disconnected');
  assert.deepEqual(states.at(-1), { kind: 'reconnecting', who: 'peer', peer: call.peerList()[0], lost: false });
  tick(PEER_LOST_AFTER_MS + 50);
  assert.equal((states.at(-1) as { lost?: boolean }).lost, true);
  assert.equal(adaStatuses.at(-1), 'lost');
  pc.moveTo('failed');
  tick(NEVER_CONNECTED_MS);
  assert.ok(!states.some((s) => s.kind === 'unreachable'), `states: ${states.map((s) => s.kind).join(', ')}`);
  assert.equal(states.at(-1)?.kind, 'reconnecting');
});

test('a link that stops within RECENT_NETWORK_CHANGE_MS of a network change restarts ICE at once, once; later, after DISCONNECTED_RESTART_MS as before', (t) => {
  const { call, pc, tick } = callWithAda(t, []);
  pc.moveTo('connected');
  call.networkChanged();
  assert.equal(pc.restarts, 0, 'a flowing link is left alone at the change');
  tick(RECENT_NETWORK_CHANGE_MS - 100);
  pc.moveTo('disconnected');
  assert.equal(pc.restarts, 1, 'its media stopped soon after: restarted at once');
  pc.moveTo('failed');
  assert.equal(pc.restarts, 1, 'once per change');
  pc.moveTo('connected');
  tick(RECENT_NETWORK_CHANGE_MS);
  pc.moveTo('disconnected');
  assert.equal(pc.restarts, 1, 'long after the change, ICE is given time to heal');
  tick(DISCONNECTED_RESTART_MS);
  assert.equal(pc.restarts, 2);
});
