import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveCallState, PEER_LOST_AFTER_MS, type CallFacts, type PeerView } from './call-state.ts';

const open = { kind: 'open' } as const;
const inRoom = { kind: 'in-room', selfId: 'me' } as const;
const ada = (change: Partial<PeerView> = {}): PeerView => ({ id: 'ada', name: 'Ada', presence: 'here', link: 'connecting', media: undefined, interruptedAt: undefined, ...change });
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
