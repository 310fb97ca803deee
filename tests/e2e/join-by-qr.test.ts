// Join by QR: the QR code the browser draws in the lobby and in the waiting banner is scanned (jsQR reads
// the pixels Chromium rendered) and the link it holds brings a second person into the call.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jsQR from 'jsqr';
import type { Locator } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** Rasterises the QR code's SVG in the page, as a camera pointed at the screen would see it, and decodes it. */
async function scan(qr: Locator): Promise<string | undefined> {
  const image = await qr.evaluate(async (svg) => {
    // About six pixels per module, as a phone camera held at a comfortable distance sees it.
    const side = 240;
    const img = new Image();
    img.src = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' }));
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = side;
    const g = canvas.getContext('2d')!;
    g.drawImage(img, 0, 0, side, side);
    // Base64 crosses from the page far faster than an array of numbers.
    let binary = '';
    for (const byte of g.getImageData(0, 0, side, side).data) binary += String.fromCharCode(byte);
    return { side, pixels: btoa(binary) };
  });
  return jsQR(new Uint8ClampedArray(Buffer.from(image.pixels, 'base64')), image.side, image.side, { inversionAttempts: 'dontInvert' })?.data;
}

describe('joining by QR code in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();

  test('the lobby and the waiting banner show a QR code of the room link; the scanned link joins the call', async () => {
    const ada = await (await instrumentedContext(lab.browser)).newPage();
    const bob = await (await instrumentedContext(lab.browser)).newPage();
    try {
      const link = await startNewCall(ada, lab.server.url, 'Ada');
      const lobbyQr = ada.getByRole('img', { name: /QR code of the call link/ });
      await lobbyQr.waitFor();
      const box = (await lobbyQr.boundingBox())!;
      assert.ok(box.width >= 100 && box.height >= 100, `QR code too small to scan: ${box.width}x${box.height}`);
      assert.equal(await scan(lobbyQr), link);

      await pressJoin(ada);
      await waitForCallState(ada, 'waiting');
      const bannerQr = ada.locator('.banner').getByRole('img', { name: /QR code of the call link/ });
      const scanned = await scan(bannerQr);
      assert.equal(scanned, link);

      await openLobby(bob, scanned!, 'Bob');
      await pressJoin(bob);
      await Promise.all([waitForCallState(ada, 'connected'), waitForCallState(bob, 'connected')]);
      await Promise.all([expectMediaFlowing(ada, 'ada'), expectMediaFlowing(bob, 'bob (joined by QR)')]);
    } finally {
      await ada.context().close();
      await bob.context().close();
    }
  });

  test('"Share…" appears only where the browser has the Web Share API, and hands it the room link', async () => {
    const plain = await (await instrumentedContext(lab.browser)).newPage();
    const sharing = await (await instrumentedContext(lab.browser)).newPage();
    try {
      // Chromium on Linux has no Web Share API: the button must not be offered.
      const link = await startNewCall(plain, lab.server.url);
      assert.equal(await plain.evaluate(() => typeof navigator.share), 'undefined');
      assert.equal(await plain.getByRole('button', { name: 'Share the call link' }).count(), 0);

      // A phone's browser has one; stand in for its share sheet to see what the app hands over.
      await sharing.addInitScript(() => {
        const shared: ShareData[] = [];
        (window as unknown as { __shared: ShareData[] }).__shared = shared;
        Object.defineProperty(navigator, 'share', { value: async (data: ShareData) => void shared.push(data) });
      });
      await sharing.goto(link);
      await sharing.getByRole('button', { name: 'Share the call link' }).click();
      const shared = await sharing.evaluate(() => (window as unknown as { __shared: ShareData[] }).__shared);
      assert.equal(shared.length, 1);
      assert.equal(shared[0]!.url, link);
    } finally {
      await plain.context().close();
      await sharing.context().close();
    }
  });
});
