import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveCallState, PEER_LOST_AFTER_MS, peerStatus, type CallFacts, type PeerView } from './call-state.ts';

const open = { kind: 'open' } as const;
const inRoom = { kind: 'in-room', selfId: 'me' } as const;
const ada = (change: Partial<PeerView> = {}): PeerView => ({ id: 'ada', name: 'Ada', presence: 'here', link: 'connecting', media: undefined, interruptedAt: undefined, ...change });
const bo = (change: Partial<PeerView> = {}): PeerView => ({ ...ada(), id: 'bo', name: 'Bo', ...change });
const facts = (change: Partial<CallFacts>): CallFacts => ({ phase: inRoom, signaling: open, peers: [], lastDeparture: undefined, now: 100_000, ...change });

test('alone in the room is waiting; after someone left, it says who', () => {
  assert.equal(deriveCallState(facts({})).kind, 'waiting');
  assert.deepEqual(deriveCallState(facts({ lastDeparture: { name: 'Ada', reason: 'left' } })), { kind: 'peer-left', name: 'Ada', reason: 'left' });
});

test('joining says whether the server could not be reached yet', () => {
  assert.deepEqual(deriveCallState(facts({ phase: { kind: 'joining' }, signaling: { kind: 'connecting', attempt: 0 } })), { kind: 'joining', offline: false });
  assert.deepEqual(deriveCallState(facts({ phase: { kind: 'joining' }, signaling: { kind: 'connecting', attempt: 2 } })), { kind: 'joining', offline: true });
});

test('flowing media is a connected call even while our server is unreachable', () => {
  const peer = ada({ link: 'connected' });
  assert.deepEqual(deriveCallState(facts({ peers: [peer] })), { kind: 'connected', peer, serverLost: false });
  assert.deepEqual(deriveCallState(facts({ peers: [peer], signaling: { kind: 'connecting', attempt: 1 } })), { kind: 'connected', peer, serverLost: true });
});

test('an interrupted link is reconnecting, and lost once the server lost them too or the bound passed', () => {
  const now = 100_000;
  const fresh = ada({ link: 'unstable', interruptedAt: now - 1000 });
  assert.equal((deriveCallState(facts({ peers: [fresh] })) as { lost: boolean }).lost, false);
  const old = ada({ link: 'unstable', interruptedAt: now - PEER_LOST_AFTER_MS });
  assert.equal((deriveCallState(facts({ peers: [old] })) as { lost: boolean }).lost, true);
  const away = ada({ link: 'unstable', interruptedAt: now - 1000, presence: 'away' });
  assert.deepEqual(deriveCallState(facts({ peers: [away] })), { kind: 'reconnecting', who: 'peer', peer: away, lost: true });
});

test('our own outage without media is reconnecting on our side; the end wins over everything', () => {
  assert.deepEqual(deriveCallState(facts({ peers: [ada()], signaling: { kind: 'connecting', attempt: 1 } })), { kind: 'reconnecting', who: 'us', peer: ada(), lost: false });
  assert.deepEqual(deriveCallState(facts({ phase: { kind: 'ended', reason: 'peer-hung-up', by: 'Ada' }, peers: [ada({ link: 'connected' })] })), { kind: 'ended', reason: 'peer-hung-up', by: 'Ada' });
});

test('in a group, media with any one person is a connected call, about that person', () => {
  const flowing = bo({ link: 'connected' });
  assert.deepEqual(deriveCallState(facts({ peers: [ada({ link: 'unstable', interruptedAt: 99_000 }), flowing] })), { kind: 'connected', peer: flowing, serverLost: false });
  assert.deepEqual(deriveCallState(facts({ peers: [ada(), flowing] })), { kind: 'connected', peer: flowing, serverLost: false });
});

test('in a group with no media yet, the state speaks of the first person', () => {
  assert.deepEqual(deriveCallState(facts({ peers: [ada(), bo()] })), { kind: 'connecting', peer: ada() });
  const away = ada({ presence: 'away', link: 'unstable', interruptedAt: 99_000 });
  assert.deepEqual(deriveCallState(facts({ peers: [away, bo()] })), { kind: 'reconnecting', who: 'peer', peer: away, lost: true });
});

test("one person's status follows the 1:1 rules: connecting, connected, reconnecting, then lost", () => {
  const now = 100_000;
  assert.equal(peerStatus(ada(), now), 'connecting');
  assert.equal(peerStatus(ada({ link: 'connected' }), now), 'connected');
  assert.equal(peerStatus(ada({ link: 'unstable', interruptedAt: now - 1000 }), now), 'reconnecting');
  assert.equal(peerStatus(ada({ link: 'unstable', interruptedAt: now - PEER_LOST_AFTER_MS }), now), 'lost');
  assert.equal(peerStatus(ada({ link: 'failed', interruptedAt: now - 1000 }), now), 'lost');
  assert.equal(peerStatus(ada({ link: 'unstable', interruptedAt: now - 1000, presence: 'away' }), now), 'lost');
  // Media flowing wins even while the server holds their place (their socket dropped, the link did not).
  assert.equal(peerStatus(ada({ link: 'connected', presence: 'away' }), now), 'connected');
});

test('each status agrees with what the call state says about a lone peer', () => {
  const now = 100_000;
  const cases = [ada(), ada({ link: 'connected' }), ada({ link: 'unstable', interruptedAt: now - 1000 }), ada({ link: 'failed', interruptedAt: now - 1000 }), ada({ presence: 'away', link: 'unstable', interruptedAt: now })];
  for (const peer of cases) {
    const state = deriveCallState(facts({ peers: [peer], now }));
    const expected = state.kind === 'reconnecting' ? (state.lost ? 'lost' : 'reconnecting') : state.kind;
    assert.equal(peerStatus(peer, now), expected, JSON.stringify(peer));
  }
});
