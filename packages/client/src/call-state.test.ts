import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CallFacts, deriveCallState, NEVER_CONNECTED_MS, nextOutage, type Outage, PEER_LOST_AFTER_MS, type PeerView, peerStatus } from './call-state.ts';

const now = 100_000;
const open = { kind: 'open' } as const;
const inRoom = { kind: 'in-room', selfId: 'me' } as const;
const interrupted = (msAgo: number): Outage => ({ kind: 'interrupted', since: now - msAgo });
const neverConnected = (msAgo: number): Outage => ({ kind: 'never-connected', since: now - msAgo });
const ada = (change: Partial<PeerView> = {}): PeerView => ({
  id: 'ada',
  name: 'Ada',
  presence: 'here',
  link: 'connecting',
  media: undefined,
  outage: neverConnected(1000),
  talking: false,
  transport: undefined,
  tracks: {},
  verification: undefined,
  ...change,
});
const bo = (change: Partial<PeerView> = {}): PeerView => ({ ...ada(), id: 'bo', name: 'Bo', ...change });
const facts = (change: Partial<CallFacts>): CallFacts => ({ phase: inRoom, signaling: open, peers: [], lastDeparture: undefined, relayAvailable: false, now, ...change });

test('alone in the room is waiting; after someone left, it says who', () => {
  assert.equal(deriveCallState(facts({})).kind, 'waiting');
  assert.deepEqual(deriveCallState(facts({ lastDeparture: { name: 'Ada', reason: 'left' } })), { kind: 'peer-left', name: 'Ada', reason: 'left' });
});

test('joining says whether the server could not be reached yet', () => {
  assert.deepEqual(deriveCallState(facts({ phase: { kind: 'joining' }, signaling: { kind: 'connecting', attempt: 0 } })), { kind: 'joining', offline: false });
  assert.deepEqual(deriveCallState(facts({ phase: { kind: 'joining' }, signaling: { kind: 'connecting', attempt: 2 } })), { kind: 'joining', offline: true });
});

test('flowing media is a connected call even while our server is unreachable', () => {
  const peer = ada({ link: 'connected', outage: undefined });
  assert.deepEqual(deriveCallState(facts({ peers: [peer] })), { kind: 'connected', peer, serverLost: false });
  assert.deepEqual(deriveCallState(facts({ peers: [peer], signaling: { kind: 'connecting', attempt: 1 } })), { kind: 'connected', peer, serverLost: true });
});

test('an interrupted link is reconnecting, and lost once the server lost them too or the bound passed', () => {
  const fresh = ada({ link: 'unstable', outage: interrupted(1000) });
  assert.equal((deriveCallState(facts({ peers: [fresh] })) as { lost: boolean }).lost, false);
  const old = ada({ link: 'unstable', outage: interrupted(PEER_LOST_AFTER_MS) });
  assert.equal((deriveCallState(facts({ peers: [old] })) as { lost: boolean }).lost, true);
  const away = ada({ link: 'unstable', outage: interrupted(1000), presence: 'away' });
  assert.deepEqual(deriveCallState(facts({ peers: [away] })), { kind: 'reconnecting', who: 'peer', peer: away, lost: true });
});

test('a link that never carried media is connecting until NEVER_CONNECTED_MS, then unreachable, never lost', () => {
  const trying = ada({ link: 'failed', outage: neverConnected(NEVER_CONNECTED_MS - 1) });
  assert.deepEqual(deriveCallState(facts({ peers: [trying] })), { kind: 'connecting', peer: trying });
  // Failed and restarting ICE for longer than a lost link would take to be called lost: still not "lost".
  const stuck = ada({ link: 'failed', outage: neverConnected(NEVER_CONNECTED_MS) });
  assert.deepEqual(deriveCallState(facts({ peers: [stuck] })), { kind: 'unreachable', peer: stuck, relayAvailable: false });
  assert.deepEqual(deriveCallState(facts({ peers: [stuck], relayAvailable: true })), { kind: 'unreachable', peer: stuck, relayAvailable: true });
});

test('our own outage without media is reconnecting on our side; the end wins over everything', () => {
  assert.deepEqual(deriveCallState(facts({ peers: [ada()], signaling: { kind: 'connecting', attempt: 1 } })), { kind: 'reconnecting', who: 'us', peer: ada(), lost: false });
  assert.deepEqual(deriveCallState(facts({ phase: { kind: 'ended', reason: 'peer-hung-up', by: 'Ada' }, peers: [ada({ link: 'connected', outage: undefined })] })), {
    kind: 'ended',
    reason: 'peer-hung-up',
    by: 'Ada',
  });
});

test('in a group, media with any one person is a connected call, about that person', () => {
  const flowing = bo({ link: 'connected', outage: undefined });
  assert.deepEqual(deriveCallState(facts({ peers: [ada({ link: 'unstable', outage: interrupted(1000) }), flowing] })), { kind: 'connected', peer: flowing, serverLost: false });
  assert.deepEqual(deriveCallState(facts({ peers: [ada({ outage: neverConnected(NEVER_CONNECTED_MS) }), flowing] })), { kind: 'connected', peer: flowing, serverLost: false });
});

test('in a group with no media yet, the state speaks of the first person', () => {
  assert.deepEqual(deriveCallState(facts({ peers: [ada(), bo()] })), { kind: 'connecting', peer: ada() });
  const away = ada({ presence: 'away', link: 'unstable', outage: interrupted(1000) });
  assert.deepEqual(deriveCallState(facts({ peers: [away, bo()] })), { kind: 'reconnecting', who: 'peer', peer: away, lost: true });
});

test("one person's status: connecting then unreachable if media never flowed; reconnecting then lost once it had", () => {
  assert.equal(peerStatus(ada(), now), 'connecting');
  assert.equal(peerStatus(ada({ outage: neverConnected(NEVER_CONNECTED_MS) }), now), 'unreachable');
  assert.equal(peerStatus(ada({ link: 'connected', outage: undefined }), now), 'connected');
  assert.equal(peerStatus(ada({ link: 'unstable', outage: interrupted(1000) }), now), 'reconnecting');
  assert.equal(peerStatus(ada({ link: 'unstable', outage: interrupted(PEER_LOST_AFTER_MS) }), now), 'lost');
  assert.equal(peerStatus(ada({ link: 'failed', outage: interrupted(1000) }), now), 'lost');
  assert.equal(peerStatus(ada({ link: 'unstable', outage: interrupted(1000), presence: 'away' }), now), 'lost');
  // Their socket dropped before media ever flowed: the server lost them, so they are lost, not unreachable.
  assert.equal(peerStatus(ada({ presence: 'away' }), now), 'lost');
  // A link that had flowed and negotiates again (no outage) is connecting.
  assert.equal(peerStatus(ada({ outage: undefined }), now), 'connecting');
  // Media flowing wins even while the server holds their place (their socket dropped, the link did not).
  assert.equal(peerStatus(ada({ link: 'connected', presence: 'away', outage: undefined }), now), 'connected');
});

test('each status agrees with what the call state says about a lone peer', () => {
  const cases = [
    ada(),
    ada({ outage: neverConnected(NEVER_CONNECTED_MS) }),
    ada({ link: 'connected', outage: undefined }),
    ada({ link: 'unstable', outage: interrupted(1000) }),
    ada({ link: 'failed', outage: interrupted(1000) }),
    ada({ presence: 'away', link: 'unstable', outage: interrupted(0) }),
  ];
  for (const peer of cases) {
    const state = deriveCallState(facts({ peers: [peer] }));
    const expected = state.kind === 'reconnecting' ? (state.lost ? 'lost' : 'reconnecting') : state.kind;
    assert.equal(peerStatus(peer, now), expected, JSON.stringify(peer));
  }
});

test('an outage begins when media stops or before it ever flowed, keeps its start, and ends when media flows', () => {
  const first = neverConnected(0);
  // A link that never connected stays "never connected" however it fails, and keeps its first start.
  assert.equal(nextOutage(first, 'failed', now + 5000), first);
  assert.equal(nextOutage(first, 'unstable', now + 5000), first);
  assert.equal(nextOutage(first, 'connected', now + 5000), undefined);
  // Once media has flowed, a stop starts an interruption, which keeps its start through failure.
  const stopped = nextOutage(undefined, 'unstable', now);
  assert.deepEqual(stopped, interrupted(0));
  assert.equal(nextOutage(stopped, 'failed', now + 3000), stopped);
  assert.equal(nextOutage(undefined, 'connecting', now), undefined);
});
