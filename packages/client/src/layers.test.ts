import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { capLayer, DOWNLINK_POOR, DOWNLINK_RECOVER_READINGS, DownlinkGovernor, LAYER_MAX_TILE_HEIGHT, layerForTile, VIEW_DEBOUNCE_MS, type ViewFeed, ViewRequests } from './layers.ts';

const good = { loss: 0 };
const lossy = { loss: DOWNLINK_POOR.loss + 0.01 };

test('a tile gets the smallest layer that fills it: grid tiles low, a mid tile medium, the speaker large high', () => {
  assert.equal(layerForTile('off'), 'off');
  assert.equal(layerForTile({ width: 256, height: 144 }), 'low', 'a 5×5 grid tile at 1280×720');
  assert.equal(layerForTile({ width: 16 * 15, height: LAYER_MAX_TILE_HEIGHT.low }), 'low');
  assert.equal(layerForTile({ width: 640, height: 360 }), 'medium');
  assert.equal(layerForTile({ width: 1280, height: 720 }), 'high');
  // A wide, short tile crops the picture to its width: it needs the rows its width implies.
  assert.equal(layerForTile({ width: 1280, height: 200 }), 'high');
  assert.equal(layerForTile({ width: 0, height: 0 }), 'low');
});

test('a cap lowers a layer but never turns video on or raises it', () => {
  assert.equal(capLayer('high', 'medium'), 'medium');
  assert.equal(capLayer('low', 'medium'), 'low');
  assert.equal(capLayer('off', 'low'), 'off');
});

test('a poor downlink drops the cap one layer per reading; it comes back one layer after a run of good readings', () => {
  const governor = new DownlinkGovernor();
  assert.equal(governor.cap, 'high');
  assert.equal(governor.observe(lossy), true);
  assert.equal(governor.cap, 'medium');
  assert.equal(governor.observe(lossy), true);
  assert.equal(governor.cap, 'low');
  assert.equal(governor.observe(lossy), false, 'low is the floor');
  for (let i = 1; i < DOWNLINK_RECOVER_READINGS; i++) assert.equal(governor.observe(good), false);
  assert.equal(governor.observe(good), true);
  assert.equal(governor.cap, 'medium');
  // One poor reading in a good run starts the count again.
  for (let i = 1; i < DOWNLINK_RECOVER_READINGS; i++) governor.observe(good);
  governor.observe(lossy);
  assert.equal(governor.cap, 'low');
});

function requests(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const sent: ViewFeed[][] = [];
  const views = new ViewRequests((feeds) => sent.push(feeds));
  return { views, sent, tick: (ms: number) => t.mock.timers.tick(ms) };
}

test('layer requests wait for tile sizes to settle, then name only what changed', (t) => {
  const { views, sent, tick } = requests(t);
  views.setTile('ada', { width: 256, height: 144 });
  views.setTile('bo', 'off');
  assert.equal(sent.length, 0, 'nothing goes out before we receive through the SFU');
  views.setActive(true);
  tick(VIEW_DEBOUNCE_MS - 1);
  assert.equal(sent.length, 0);
  tick(1);
  assert.deepEqual(sent, [
    [
      { peerId: 'ada', video: 'low' },
      { peerId: 'bo', video: 'off' },
    ],
  ]);
  // A window being resized: many sizes, one request, for the one person whose layer changed.
  for (const height of [300, 500, 700, 720]) views.setTile('ada', { width: (height * 16) / 9, height });
  views.setTile('bo', 'off');
  tick(VIEW_DEBOUNCE_MS);
  assert.deepEqual(sent.at(-1), [{ peerId: 'ada', video: 'high' }]);
  views.setTile('ada', { width: 1280, height: 720 });
  tick(VIEW_DEBOUNCE_MS);
  assert.equal(sent.length, 2, 'no request when nothing changed');
});

test('a poor downlink re-asks for every visible tile at the lower cap', (t) => {
  const { views, sent, tick } = requests(t);
  views.setActive(true);
  views.setTile('ada', { width: 1280, height: 720 });
  views.setTile('bo', { width: 256, height: 144 });
  tick(VIEW_DEBOUNCE_MS);
  views.observeDownlink(lossy);
  tick(VIEW_DEBOUNCE_MS);
  assert.deepEqual(sent.at(-1), [{ peerId: 'ada', video: 'medium' }], 'the low tile was already below the cap');
});

test('a new SFU session is told the whole view again', (t) => {
  const { views, sent, tick } = requests(t);
  views.setActive(true);
  views.setTile('ada', { width: 640, height: 360 });
  tick(VIEW_DEBOUNCE_MS);
  views.resend();
  assert.deepEqual(sent, [[{ peerId: 'ada', video: 'medium' }], [{ peerId: 'ada', video: 'medium' }]]);
  views.setActive(false);
  views.setActive(true);
  tick(VIEW_DEBOUNCE_MS);
  assert.equal(sent.length, 3);
});
