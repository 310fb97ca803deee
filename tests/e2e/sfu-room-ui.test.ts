// The room screen over the SFU route, in a real Chromium, with the app's WebSocket answered by the
// in-page stand-ins of tests/support/sfu-stand-in.ts (no Janus): a tile keeps its elements when
// its person moves from the mesh to the SFU; 24 others fit a laptop's stage and page on a phone;
// tiles off the page are asked for as `off`, the visible ones at a layer for their size.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { instrumentedContext, mediaPerTile } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { STAND_IN, type StandInConfig } from '../support/sfu-stand-in.ts';

const ROOM_ID = '0123-4567-89ab-cdef';
const PEOPLE = Array.from({ length: 24 }, (_, i) => ({ id: `p${i + 1}`, name: `Person ${i + 1}` }));

/** Last layer asked for each person, from the stand-in's record of `sfu-view`. */
function latestViews(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => Object.fromEntries((window as unknown as { standIn: { views: { peerId: string; video: string }[] } }).standIn.views.map((v) => [v.peerId, v.video])));
}

describe('the room screen on the SFU route in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();

  async function openRoom(config: StandInConfig, contextOptions: Parameters<typeof instrumentedContext>[1] = {}): Promise<Page> {
    const context = await instrumentedContext(lab.browser, contextOptions);
    await context.addInitScript(STAND_IN, { ...config, replaceWebSocket: true });
    // As a reload of a tab that was in the call: a fresh tab opening /call would get the lobby.
    await context.addInitScript((roomId) => sessionStorage.setItem(`videoapp:in-call:${roomId}`, `${'a'.repeat(20)}.${'b'.repeat(20)}`), ROOM_ID);
    const page = await context.newPage();
    await page.goto(`${lab.server.url}/r/${ROOM_ID}/call`);
    await page.locator('.room').waitFor();
    return page;
  }

  test('mesh → SFU: the tile keeps its elements, plays the SFU stream, and asks for the layer its size needs', async () => {
    const page = await openRoom({ peers: [{ id: 'ada1', name: 'Ada' }], route: 'mesh' }, { viewport: { width: 1280, height: 720 } });
    await page.locator('.tile[data-peer-id="ada1"][data-transport="mesh"]').waitFor({ timeout: 20_000 });
    await page.evaluate(() => {
      const tile = document.querySelector('.tile[data-peer-id="ada1"]') as HTMLElement & { marked?: boolean };
      tile.marked = true;
      (tile.querySelector('video') as HTMLVideoElement & { marked?: boolean }).marked = true;
    });
    await page.evaluate(() => (window as unknown as { standIn: { deliver(m: unknown): void } }).standIn.deliver({ type: 'media-route', route: 'sfu' }));
    await page.locator('.room[data-media-route="sfu"] .tile[data-peer-id="ada1"][data-transport="sfu"]').waitFor({ timeout: 20_000 });
    const kept = await page.evaluate(() => {
      const tile = document.querySelector('.tile[data-peer-id="ada1"]') as HTMLElement & { marked?: boolean };
      return Boolean(tile.marked && (tile.querySelector('video') as HTMLVideoElement & { marked?: boolean }).marked && document.querySelectorAll('.tile').length === 1);
    });
    assert.ok(kept, 'the same tile and video element, only the stream swapped');
    const before = (await mediaPerTile(page))[0]!;
    await page.waitForTimeout(1_000);
    const after = (await mediaPerTile(page))[0]!;
    assert.ok(after.framesDecoded > before.framesDecoded && before.framesDecoded > 0, `the tile plays a decoding SFU track: ${JSON.stringify([before, after])}`);
    await page.waitForFunction(() => (window as unknown as { standIn: { views: unknown[] } }).standIn.views.length > 0, undefined, { timeout: 5_000 });
    assert.equal((await latestViews(page)).ada1, 'high', 'one other person fills the stage: the top layer');
    const errors = await page.evaluate(() => (window as unknown as { standIn: { errors: string[] } }).standIn.errors);
    assert.deepEqual(errors, []);
  });

  test('24 others fit a 1280×720 laptop at once, in a grid of at least 5 columns, each tile asked for at the low layer', async () => {
    const page = await openRoom({ peers: PEOPLE, route: 'sfu' }, { viewport: { width: 1280, height: 720 } });
    await page.waitForFunction((n) => document.querySelectorAll('.tile').length === n, PEOPLE.length, { timeout: 20_000 });
    const layout = await page.evaluate(() => {
      const stage = document.querySelector('.stage')!.getBoundingClientRect();
      const tiles = [...document.querySelectorAll<HTMLElement>('.tile')];
      const columns = getComputedStyle(document.querySelector('.remotes')!).gridTemplateColumns.split(' ').length;
      const inside = tiles.every((t) => {
        const r = t.getBoundingClientRect();
        return !t.hidden && r.width > 0 && r.left >= stage.left - 1 && r.right <= stage.right + 1 && r.top >= stage.top - 1 && r.bottom <= stage.bottom + 1;
      });
      return { columns, inside, pager: !(document.querySelector('.pager') as HTMLElement).hidden };
    });
    assert.ok(layout.columns >= 5, `${layout.columns} columns`);
    assert.ok(layout.inside, 'every tile on screen, within the stage');
    assert.equal(layout.pager, false, 'no pages on a laptop');
    await page.waitForFunction(
      (n) => Object.keys(Object.fromEntries((window as unknown as { standIn: { views: { peerId: string }[] } }).standIn.views.map((v) => [v.peerId, 1]))).length === n,
      PEOPLE.length,
      { timeout: 5_000 },
    );
    const views = await latestViews(page);
    assert.deepEqual(new Set(Object.values(views)), new Set(['low']), JSON.stringify(views));
  });

  test('on a phone the 24 page by six; tiles on other pages are off, and turning the page turns them on', async () => {
    const page = await openRoom({ peers: PEOPLE, route: 'sfu' }, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });
    await page.waitForFunction((n) => document.querySelectorAll('.tile').length === n, PEOPLE.length, { timeout: 20_000 });
    const visible = () => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.tile')].filter((t) => !t.hidden).map((t) => t.dataset.peerId));
    assert.deepEqual(await visible(), ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    assert.equal(await page.locator('.page-label').textContent(), '1 / 4');
    await page.waitForFunction(() => (window as unknown as { standIn: { views: { peerId: string; video: string }[] } }).standIn.views.some((v) => v.peerId === 'p7' && v.video === 'off'), undefined, {
      timeout: 5_000,
    });
    const first = await latestViews(page);
    assert.notEqual(first.p1, 'off');
    assert.equal(first.p24, 'off');
    await page.locator('.page-next').click();
    assert.deepEqual(await visible(), ['p7', 'p8', 'p9', 'p10', 'p11', 'p12']);
    await page.waitForFunction(
      () => {
        const views = (window as unknown as { standIn: { views: { peerId: string; video: string }[] } }).standIn.views;
        const last = (id: string) => views.filter((v) => v.peerId === id).at(-1)?.video;
        return last('p1') === 'off' && last('p7') !== 'off';
      },
      undefined,
      { timeout: 5_000 },
    );
  });
});
