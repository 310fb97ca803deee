import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAKE_BEFORE_BREAK_TIMEOUT_MS, type RouteAction, RouteSwitch } from './route-switch.ts';

const PEERS = ['ada', 'bo'];

/** A switch settled on the mesh with Ada and Bo shown from their mesh links. */
function meshWithAdaAndBo(): RouteSwitch {
  const route = new RouteSwitch('mesh');
  for (const id of PEERS) route.media(id, 'mesh', 'arrived', PEERS);
  return route;
}

test("a person's first media is shown at once, from the transport it came on", () => {
  const route = new RouteSwitch('mesh');
  assert.deepEqual(route.media('ada', 'mesh', 'arrived', ['ada']), [{ kind: 'show', peerId: 'ada', transport: 'mesh' }]);
  assert.deepEqual(route.media('ada', 'mesh', 'decoding', ['ada']), [], 'shown once');
  assert.deepEqual(route.media('ada', 'sfu', 'arrived', ['ada']), [], 'the SFU is not open: its media is ignored');
});

test('to the SFU: opens it, keeps the mesh while anyone is still shown from the mesh, closes the mesh last', () => {
  const route = meshWithAdaAndBo();
  assert.deepEqual(route.moveTo('sfu', 0, PEERS), [{ kind: 'open', transport: 'sfu' }]);
  assert.equal(route.destination, 'sfu');
  assert.ok(route.isOpen('mesh') && route.isOpen('sfu'));
  // Tracks on the SFU are not enough: the mesh picture stays until the SFU's frames decode.
  assert.deepEqual(route.media('ada', 'sfu', 'arrived', PEERS), []);
  assert.equal(route.feedOf('ada'), 'mesh');
  assert.deepEqual(route.media('ada', 'sfu', 'decoding', PEERS), [{ kind: 'show', peerId: 'ada', transport: 'sfu' }]);
  assert.deepEqual(route.waitingFor(PEERS), ['bo']);
  assert.equal(route.current.kind, 'moving');
  const last: RouteAction[] = route.media('bo', 'sfu', 'decoding', PEERS);
  assert.deepEqual(last, [
    { kind: 'show', peerId: 'bo', transport: 'sfu' },
    { kind: 'close', transport: 'mesh' },
  ]);
  assert.deepEqual(route.current, { kind: 'settled', route: 'sfu' });
  assert.ok(!route.isOpen('mesh'));
});

test('back to the mesh the same way, make-before-break: the SFU closes only when everyone decodes on the mesh', () => {
  const route = meshWithAdaAndBo();
  route.moveTo('sfu', 0, PEERS);
  for (const id of PEERS) route.media(id, 'sfu', 'decoding', PEERS);
  const two = ['ada'];
  route.left('bo', two);
  assert.deepEqual(route.moveTo('mesh', 1_000, two), [{ kind: 'open', transport: 'mesh' }]);
  assert.deepEqual(route.media('ada', 'mesh', 'arrived', two), [], 'a mesh track alone does not replace a decoding SFU picture');
  assert.deepEqual(route.media('ada', 'mesh', 'decoding', two), [
    { kind: 'show', peerId: 'ada', transport: 'mesh' },
    { kind: 'close', transport: 'sfu' },
  ]);
  assert.deepEqual(route.current, { kind: 'settled', route: 'mesh' });
});

test('someone who arrives during a move is shown from whichever open transport brings their media first', () => {
  const route = meshWithAdaAndBo();
  route.moveTo('sfu', 0, PEERS);
  const three = [...PEERS, 'cy'];
  assert.deepEqual(route.media('cy', 'sfu', 'arrived', three), [{ kind: 'show', peerId: 'cy', transport: 'sfu' }]);
  assert.deepEqual(route.waitingFor(three), ['ada', 'bo']);
});

test('a person who leaves mid-move no longer holds it up', () => {
  const route = meshWithAdaAndBo();
  route.moveTo('sfu', 0, PEERS);
  route.media('ada', 'sfu', 'decoding', PEERS);
  assert.deepEqual(route.left('bo', ['ada']), [{ kind: 'close', transport: 'mesh' }]);
});

test('a move that waits too long finishes at MAKE_BEFORE_BREAK_TIMEOUT_MS without the people still missing', () => {
  const route = meshWithAdaAndBo();
  route.moveTo('sfu', 5_000, PEERS);
  route.media('ada', 'sfu', 'decoding', PEERS);
  assert.deepEqual(route.tick(5_000 + MAKE_BEFORE_BREAK_TIMEOUT_MS - 1, PEERS), []);
  assert.deepEqual(route.tick(5_000 + MAKE_BEFORE_BREAK_TIMEOUT_MS, PEERS), [
    { kind: 'show', peerId: 'bo', transport: 'sfu' },
    { kind: 'close', transport: 'mesh' },
  ]);
});

test('turned back mid-move: everyone shown from the old transport again, the new one closed', () => {
  const route = meshWithAdaAndBo();
  route.moveTo('sfu', 0, PEERS);
  route.media('ada', 'sfu', 'decoding', PEERS);
  assert.deepEqual(route.moveTo('mesh', 100, PEERS), [
    { kind: 'show', peerId: 'ada', transport: 'mesh' },
    { kind: 'close', transport: 'sfu' },
  ]);
  assert.deepEqual(route.current, { kind: 'settled', route: 'mesh' });
  assert.deepEqual(route.moveTo('mesh', 200, PEERS), [], 'the same route again changes nothing');
});

test('a room joined on the SFU with nobody there yet settles at once', () => {
  const route = new RouteSwitch('mesh');
  assert.deepEqual(route.moveTo('sfu', 0, []), [
    { kind: 'open', transport: 'sfu' },
    { kind: 'close', transport: 'mesh' },
  ]);
  assert.deepEqual(route.current, { kind: 'settled', route: 'sfu' });
});
