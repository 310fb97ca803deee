// A phone-sized call: one side in mobile emulation (viewport, touch, mobile user agent) joins a desktop side.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { devices } from 'playwright-core';
import { expectMediaFlowing, instrumentedContext } from '../support/browsers.ts';
import { serverAndChromium } from '../support/lab.ts';
import { missing } from '../support/requires.ts';
import { pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** Smallest touch target we allow, in CSS pixels (WCAG 2.5.5). */
const MIN_TOUCH_TARGET_PX = 44;

describe('a phone in Chromium', { skip: missing('chromium') }, () => {
  const lab = serverAndChromium();

  for (const [label, device] of [
    ['portrait', devices['Pixel 7']!],
    ['landscape', devices['Pixel 7 landscape']!],
  ] as const) {
    test(`a phone in ${label} joins a desktop call; every control is reachable by touch without scrolling sideways`, async () => {
      const desktop = await (await instrumentedContext(lab.browser)).newPage();
      const link = await startNewCall(desktop, lab.server.url, 'Desk');
      await pressJoin(desktop);

      const phone = await (await instrumentedContext(lab.browser, { ...device })).newPage();
      await phone.goto(link);
      await phone.getByLabel('Your name').fill('Phone');
      await phone.getByRole('button', { name: 'Join', exact: true }).tap();
      await Promise.all([waitForCallState(phone, 'connected'), waitForCallState(desktop, 'connected')]);
      await Promise.all([expectMediaFlowing(phone, 'phone'), expectMediaFlowing(desktop, 'desktop')]);

      const layout = await phone.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        viewportWidth: window.innerWidth,
        viewportHeight: window.innerHeight,
        // Controls this device does not offer (screen sharing on a phone, a second camera) are hidden, not squeezed.
        controls: [...document.querySelectorAll<HTMLElement>('.controls button')]
          .filter((b) => b.checkVisibility())
          .map((b) => {
            const r = b.getBoundingClientRect();
            return { label: b.getAttribute('aria-label') ?? b.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
          }),
      }));
      assert.ok(layout.scrollWidth <= layout.viewportWidth, `page scrolls sideways: ${layout.scrollWidth} > ${layout.viewportWidth}`);
      assert.ok(layout.controls.length >= 4);
      for (const c of layout.controls) {
        assert.ok(c.left >= 0 && c.right <= layout.viewportWidth && c.top >= 0 && c.bottom <= layout.viewportHeight, `${c.label} is off screen: ${JSON.stringify(c)}`);
        assert.ok(c.width >= MIN_TOUCH_TARGET_PX && c.height >= MIN_TOUCH_TARGET_PX, `${c.label} is smaller than ${MIN_TOUCH_TARGET_PX}px: ${c.width}x${c.height}`);
      }
      // The controls answer touch: muting by tap flips the button.
      await phone.getByRole('button', { name: 'Turn microphone off' }).tap();
      await phone.getByRole('button', { name: 'Turn microphone on' }).waitFor();
      await phone.context().close();
      await desktop.context().close();
    });
  }
});
