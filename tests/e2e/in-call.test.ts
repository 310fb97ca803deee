// In-call features through the UI in real Chromium with fake media (three fake cameras, of which 0 and 2 can be sent):
// camera switch, screen share, chat, connection quality, devices, keyboard, self view, wake lock;
// then the same call from an emulated phone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '@videoapp/server';
import { type Browser, type BrowserContext, devices, type Page } from 'playwright-core';
import { SELF_VIEW_MAX_CSS_WIDTH } from '../../packages/web/src/screens/self-view.ts';
import { copyStates, expectMediaFlowing, instrumentedContext, launchChromium, remoteMedia, trackStates } from '../support/browsers.ts';
import { fromFakeCamera, picture } from '../support/remote-picture.ts';
import { missing } from '../support/requires.ts';
import { startTestServer } from '../support/test-server.ts';
import { eventually } from '../support/timing.ts';
import { openLobby, pressJoin, startNewCall, waitForCallState } from '../support/ui.ts';

/** What the app asks of a shared screen (SCREEN_SHARE_CONSTRAINTS), which Chromium's fake screen delivers in full. */
const SHARE_WIDTH = 1920;
const SHARE_HEIGHT = 1080;
const REMOTE_VIDEO = 'video.remote';

describe('in-call features in Chromium', { skip: missing('chromium') }, () => {
  let server: RunningServer;
  let browser: Browser;
  before(async () => {
    server = await startTestServer();
    browser = await launchChromium({ extra: ['--use-fake-device-for-media-stream=device-count=3'] });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Also remembers every screen wake lock the page takes, to check it is released. */
  async function context(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const ctx = await instrumentedContext(browser, { permissions: ['camera', 'microphone', 'clipboard-read', 'clipboard-write', 'screen-wake-lock'], ...options });
    await ctx.addInitScript(() => {
      const wakeLock = (navigator as unknown as { wakeLock?: { request(type: 'screen'): Promise<{ released: boolean }> } }).wakeLock;
      const w = window as unknown as { __wakeLocks: { released: boolean }[] };
      w.__wakeLocks = [];
      if (!wakeLock) return;
      const request = wakeLock.request.bind(wakeLock);
      wakeLock.request = async (type) => {
        const sentinel = await request(type);
        w.__wakeLocks.push(sentinel);
        return sentinel;
      };
    });
    return ctx;
  }

  /** The session version (o= line) of every local description: it rises with each renegotiation. */
  function sdpVersions(page: Page): Promise<string[]> {
    return page.evaluate(() => (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs().map((pc) => pc.localDescription?.sdp.match(/^o=\S+ \S+ (\d+)/m)?.[1] ?? ''));
  }

  /** The track the open peer connections send for `kind`: its id and label. */
  function sentTrack(page: Page, kind: 'audio' | 'video'): Promise<{ id: string; label: string } | undefined> {
    return page.evaluate((k) => {
      const track = (window as unknown as { __callPcs: () => RTCPeerConnection[] })
        .__callPcs()
        .flatMap((pc) => pc.getSenders())
        .find((s) => s.track?.kind === k)?.track;
      return track ? { id: track.id, label: track.label } : undefined;
    }, kind);
  }

  /** Labels of the microphones the page holds open (live audio tracks from getUserMedia). */
  function liveMicrophones(page: Page): Promise<string[]> {
    return page.evaluate(() => (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.filter((t) => t.kind === 'audio' && t.readyState === 'live').map((t) => t.label));
  }

  /**
   * Picks a camera in the lobby (which opens it afresh) and fills the name in again. Starting on
   * fake camera 2 makes "Switch camera" (the next in the list, wrapping round) go to camera 0.
   */
  async function pickCameraInLobby(page: Page, label: string, name: string): Promise<void> {
    await page.getByLabel('Camera', { exact: true }).selectOption({ label });
    await page.waitForFunction((l) => ((document.querySelector('video.preview') as HTMLVideoElement | null)?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.label === l, label);
    await page.getByLabel('Your name').fill(name);
  }

  describe('in a desktop call', () => {
    let alice: Page;
    let bob: Page;
    const dialogs: string[] = [];

    before(async () => {
      alice = await (await context()).newPage();
      bob = await (await context()).newPage();
      for (const page of [alice, bob]) {
        page.on('dialog', (dialog) => {
          dialogs.push(dialog.message());
          void dialog.dismiss();
        });
      }
      const link = await startNewCall(alice, server.url, 'Alice');
      await pickCameraInLobby(alice, 'fake_device_2', 'Alice');
      await pressJoin(alice);
      await openLobby(bob, link, 'Bob');
      await pressJoin(bob);
      await Promise.all([waitForCallState(alice, 'connected'), waitForCallState(bob, 'connected')]);
      await Promise.all([expectMediaFlowing(alice, 'Alice', 500), expectMediaFlowing(bob, 'Bob', 500)]);
    });
    after(async () => {
      await alice?.context().close();
      await bob?.context().close();
    });

    test('the quality indicator shows figures from the real WebRTC statistics', async () => {
      const indicator = alice.locator('.quality-indicator');
      await eventually(
        'quality level',
        () => indicator.getAttribute('data-quality'),
        (q) => q === 'good' || q === 'fair' || q === 'poor',
      );
      await indicator.click();
      const panel = alice.getByRole('dialog', { name: 'Connection' });
      await panel.waitFor();
      // The panel and getStats, read together, agree on the received picture (it may change size between readings, so retry).
      await eventually(
        'panel vs getStats',
        async () => {
          const shown = await panel.locator('[data-figure=video]').textContent();
          const stats = await remoteMedia(alice);
          return { shown, fromStats: `${stats.frameWidth}×${stats.frameHeight}` };
        },
        ({ shown, fromStats }) => Boolean(shown?.startsWith(fromStats)),
        8_000,
      );
      assert.match((await panel.locator('[data-figure=rtt]').textContent()) ?? '', /^\d+ ms$/);
      assert.match((await panel.locator('[data-figure=loss]').textContent()) ?? '', /^\d+\.\d %$/);
      assert.match((await panel.locator('[data-figure=bandwidth]').textContent()) ?? '', /^\d+ kbit\/s$/);
      assert.equal(await panel.locator('[data-figure=path]').textContent(), 'Direct (same network)');
      await alice.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });
      assert.equal(await alice.evaluate(() => document.activeElement?.className), 'quality-indicator', 'focus returns to the indicator');
    });

    test('a chat message typed on one side appears on the other; markup stays literal text', async () => {
      await alice.getByRole('button', { name: 'Chat' }).click();
      const input = alice.getByRole('textbox', { name: 'Message' });
      assert.equal(await alice.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Message', 'focus moves into the chat');
      await eventually('send enabled', () => alice.getByRole('button', { name: 'Send' }).isEnabled(), Boolean);
      await input.fill('Hello Bob');
      await input.press('Enter');
      const markup = '<img src=x onerror=alert(1)>';
      await input.fill(markup);
      await alice.getByRole('button', { name: 'Send' }).click();

      // Bob has not opened the chat: the button counts what is waiting.
      await bob.getByRole('button', { name: 'Chat, 2 unread' }).waitFor();
      await bob.getByRole('button', { name: 'Chat, 2 unread' }).click();
      const texts = await bob.locator('.chat-log li.theirs .chat-text').allTextContents();
      assert.deepEqual(texts, ['Hello Bob', markup]);
      assert.equal(await bob.locator('.chat-log img, .chat-log [onerror]').count(), 0, 'no element was made from the message');
      assert.equal(await bob.evaluate(() => document.querySelectorAll('img').length), 0);
      assert.deepEqual(dialogs, [], 'nothing in the message ran');
      await bob.getByRole('button', { name: 'Chat', exact: true }).waitFor(); // read: the count is gone
      await alice.keyboard.press('Escape');
      await bob.keyboard.press('Escape');
    });

    test('switching camera replaces the sent track without renegotiating; the other side sees the other camera', async () => {
      const before = await eventually(
        'camera 2 at Bob',
        () => picture(bob, REMOTE_VIDEO),
        (p) => fromFakeCamera(p, 2),
      );
      const versions = await sdpVersions(alice);
      await alice.getByRole('button', { name: 'Switch camera' }).click();
      const after = await eventually(
        'camera 0 at Bob',
        () => picture(bob, REMOTE_VIDEO),
        (p) => fromFakeCamera(p, 0),
      );
      await expectMediaFlowing(bob, 'Bob after the switch', 1000);
      assert.deepEqual(await sdpVersions(alice), versions, 'no renegotiation');
      assert.equal((await sentTrack(alice, 'video'))?.label, 'fake_device_0');
      console.log(`camera switch: Bob's picture background green ${before.backgroundGreen} → ${after.backgroundGreen}`);
    });

    test('a shared screen reaches the other side at its own resolution; the camera comes back after, also when the browser stops the share', async () => {
      const camera = await remoteMedia(bob);
      assert.notDeepEqual([camera.frameWidth, camera.frameHeight], [SHARE_WIDTH, SHARE_HEIGHT]);
      await alice.getByRole('button', { name: 'Share your screen' }).click();
      await alice.getByRole('button', { name: 'Stop sharing your screen' }).waitFor();
      const shared = await eventually(
        'share at Bob',
        () => remoteMedia(bob),
        (m) => m.frameWidth === SHARE_WIDTH && m.frameHeight === SHARE_HEIGHT,
        20_000,
      );
      await expectMediaFlowing(bob, 'Bob during the share', 1000);
      const shown = await picture(bob, REMOTE_VIDEO);
      assert.deepEqual([shown.width, shown.height], [SHARE_WIDTH, SHARE_HEIGHT], 'the video element plays the share');
      console.log(`screen share: Bob decodes ${shared.frameWidth}x${shared.frameHeight} (camera was ${camera.frameWidth}x${camera.frameHeight})`);

      // Recovery keeps what is being sent: after an ICE restart (what a network change leads to) Bob still gets the share, not the camera.
      const remoteUfrag = () => bob.evaluate(() => (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs()[0]!.remoteDescription!.sdp.match(/a=ice-ufrag:(\S+)/)![1]!);
      const ufragBefore = await remoteUfrag();
      await alice.evaluate(() => (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs()[0]!.restartIce());
      await eventually('a new ICE session at Bob', remoteUfrag, (ufrag) => ufrag !== ufragBefore);
      await expectMediaFlowing(bob, 'Bob after the ICE restart', 1000);
      const afterRestart = await remoteMedia(bob);
      assert.deepEqual([afterRestart.frameWidth, afterRestart.frameHeight], [SHARE_WIDTH, SHARE_HEIGHT], 'still the share after the restart');

      // Stopped from our button: the camera is back on the same sender.
      await alice.getByRole('button', { name: 'Stop sharing your screen' }).click();
      await eventually(
        'camera back at Bob',
        () => picture(bob, REMOTE_VIDEO),
        (p) => p.width !== SHARE_WIDTH && fromFakeCamera(p, 0),
      );

      // Stopped from the browser's own "Stop sharing": the browser stops the track and fires `ended`.
      await alice.getByRole('button', { name: 'Share your screen' }).click();
      await eventually(
        'second share at Bob',
        () => remoteMedia(bob),
        (m) => m.frameWidth === SHARE_WIDTH,
        20_000,
      );
      await alice.evaluate(() => {
        const share = (window as unknown as { __displayTracks: MediaStreamTrack[] }).__displayTracks.at(-1)!;
        share.stop();
        share.dispatchEvent(new Event('ended'));
      });
      await alice.getByRole('button', { name: 'Share your screen' }).waitFor();
      await eventually(
        'camera back at Bob again',
        () => picture(bob, REMOTE_VIDEO),
        (p) => p.width !== SHARE_WIDTH && fromFakeCamera(p, 0),
      );
      await expectMediaFlowing(bob, 'Bob after the share', 1000);
      assert.deepEqual(await alice.evaluate(() => (window as unknown as { __displayTracks: MediaStreamTrack[] }).__displayTracks.map((t) => t.readyState)), ['ended', 'ended']);
    });

    test('devices: another microphone and speaker mid-call, a live level meter, and a camera that vanishes is replaced', async () => {
      await alice.getByRole('button', { name: 'Choose camera, microphone and speaker' }).click();
      const panel = alice.getByRole('dialog', { name: 'Devices' });
      await eventually(
        'mic level',
        () => panel.locator('meter').evaluate((m: HTMLMeterElement) => m.value),
        (v) => v > 0,
      );
      const sentBefore = (await sentTrack(alice, 'audio'))?.id;
      await panel.getByLabel('Microphone', { exact: true }).selectOption({ label: 'Fake Audio Input 2' });
      // The new microphone is the one open, and a new track goes out: the microphone itself, or (noise
      // suppression being on by default) the same microphone cleaned, which bears no device label.
      await eventually(
        'new microphone open and sent',
        () => Promise.all([liveMicrophones(alice), sentTrack(alice, 'audio')]),
        ([mics, sent]) => mics.join() === 'Fake Audio Input 2' && sent !== undefined && sent.id !== sentBefore,
      );
      await expectMediaFlowing(bob, 'Bob after the microphone change', 1000);
      const speaker = await panel.getByLabel('Speaker').evaluate((s: HTMLSelectElement) => s.options[s.options.length - 1]!.value);
      await panel.getByLabel('Speaker').selectOption(speaker);
      await eventually(
        'speaker',
        () => alice.evaluate(() => (document.querySelector('audio') as HTMLAudioElement & { sinkId: string }).sinkId),
        (id) => id === speaker,
      );

      // The camera is unplugged: the browser ends its track. The app opens another and sends it.
      const frames = (await remoteMedia(bob)).framesDecoded;
      await alice.evaluate(() => {
        const camera = (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.filter((t) => t.kind === 'video' && t.readyState === 'live').at(-1)!;
        camera.stop();
        camera.dispatchEvent(new Event('ended'));
      });
      await alice.locator('.room-notice', { hasText: 'camera was disconnected' }).waitFor();
      await eventually(
        'frames after the unplug',
        () => remoteMedia(bob),
        (m) => m.framesDecoded > frames + 30,
      );
      assert.equal(await panel.getByLabel('Camera', { exact: true }).evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent), (await sentTrack(alice, 'video'))?.label);
      await alice.keyboard.press('Escape');
    });

    test('own video is a picture-in-picture that can be dragged and moved by keys, and never leaves the stage', async () => {
      const pip = alice.locator('video.local');
      // It shows a copy of the 1280×720 camera scaled to the most it is drawn at, not the camera itself.
      const shown = await pip.evaluate((v: HTMLVideoElement, cssWidth) => ({ width: v.videoWidth, bound: cssWidth * devicePixelRatio }), SELF_VIEW_MAX_CSS_WIDTH);
      assert.ok(shown.width > 0 && shown.width <= shown.bound, `self-view picture ${shown.width} pixels wide, bound ${shown.bound}`);
      const stage = (await alice.locator('.stage').boundingBox())!;
      const start = (await pip.boundingBox())!;
      await alice.mouse.move(start.x + start.width / 2, start.y + start.height / 2);
      await alice.mouse.down();
      await alice.mouse.move(stage.x + 200, stage.y + 150, { steps: 5 });
      await alice.mouse.up();
      const moved = (await pip.boundingBox())!;
      assert.ok(Math.abs(moved.x + moved.width / 2 - (stage.x + 200)) < 2 && Math.abs(moved.y + moved.height / 2 - (stage.y + 150)) < 2, `not where dropped: ${JSON.stringify(moved)}`);
      // Dragged far past the corner, it stops at the stage's edge.
      await alice.mouse.move(moved.x + 10, moved.y + 10);
      await alice.mouse.down();
      await alice.mouse.move(stage.x + stage.width + 500, stage.y + stage.height + 500, { steps: 5 });
      await alice.mouse.up();
      const clamped = (await pip.boundingBox())!;
      assert.ok(clamped.x + clamped.width <= stage.x + stage.width && clamped.y + clamped.height <= stage.y + stage.height, `off the stage: ${JSON.stringify({ clamped, stage })}`);
      assert.ok(clamped.x + clamped.width > stage.x + stage.width - 20, 'pressed against the right edge');
      await pip.focus();
      await alice.keyboard.press('ArrowLeft');
      const left = (await pip.boundingBox())!;
      assert.ok(Math.abs(clamped.x - left.x - 24) < 1, `arrow key moved ${clamped.x - left.x}px`);
    });

    test('keyboard: every control is labelled, shortcuts work and are listed, focus goes in order; Shift+H hangs up and releases everything', async () => {
      const controls = await alice
        .locator('.controls button')
        .evaluateAll((buttons) =>
          (buttons as HTMLButtonElement[])
            .filter((b) => b.checkVisibility())
            .map((b) => ({ name: b.getAttribute('aria-label') ?? b.textContent ?? '', tabindex: b.tabIndex, keys: b.getAttribute('aria-keyshortcuts'), title: b.title })),
        );
      assert.deepEqual(
        // Alice created the room, so she also has the Lock control. Each spoken label starts with the button's visible words (WCAG 2.5.3).
        controls.map((c) => c.name),
        [
          'Mute: turn microphone off',
          'Camera off: turn camera off',
          'Flip: switch camera',
          'Blur background',
          'Share: share your screen',
          'Raise hand: ask to speak',
          'React with an emoji',
          'Chat',
          'Devices: choose camera, microphone and speaker',
          'Pop out: picture-in-picture of the speaker',
          'Copy link to this call',
          'Keyboard shortcuts',
          'Lock room: nobody new can join',
          'Ask to join: off. Anyone with the link comes straight in',
          'Hang up',
        ],
      );
      assert.ok(controls.every((c) => c.tabindex === 0 && c.title.length > 0));
      assert.equal(await alice.locator('[tabindex]:not([tabindex="0"]):not([tabindex="-1"])').count(), 0, 'no positive tabindex reorders focus');
      // Tab walks the controls in the order they are shown.
      await alice.getByRole('button', { name: 'Turn microphone off' }).focus();
      const walked = [];
      for (let i = 1; i < controls.length; i++) {
        await alice.keyboard.press('Tab');
        walked.push(await alice.evaluate(() => document.activeElement?.getAttribute('aria-label')));
      }
      assert.deepEqual(
        walked,
        controls.slice(1).map((c) => c.name),
      );

      await alice.locator('h1').focus();
      await alice.keyboard.press('m');
      await alice.getByRole('button', { name: 'Turn microphone on' }).waitFor();
      await alice.keyboard.press('m');
      await alice.keyboard.press('v');
      await alice.getByRole('button', { name: 'Turn camera on' }).waitFor();
      assert.deepEqual([...new Set(await copyStates(alice))], ['ended'], 'camera off: the self-view’s copy of the camera is stopped too, so the camera light goes out');
      await alice.keyboard.press('v');
      await alice.getByRole('button', { name: 'Turn camera off' }).waitFor();
      await alice.keyboard.press('c');
      await alice.getByRole('dialog', { name: 'Chat' }).waitFor();
      await alice.keyboard.press('Escape');
      await alice.keyboard.press('?');
      const help = alice.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await help.waitFor();
      assert.deepEqual(await help.locator('kbd').allTextContents(), ['M', 'V', 'S', 'C', 'R', 'Shift+H', '?', 'Esc']);
      await alice.keyboard.press('Escape');
      assert.equal(await alice.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Keyboard shortcuts');

      assert.equal(await alice.locator('.room').getAttribute('data-wake-lock'), 'held', 'the screen stays on during the call');
      await alice.keyboard.press('Shift+H');
      await alice.locator('[data-end-reason=hung-up]').waitFor();
      await bob.locator('[data-end-reason=peer-hung-up]').waitFor();
      assert.deepEqual([...new Set(await trackStates(alice))], ['ended'], 'every camera and microphone track stopped');
      assert.deepEqual([...new Set(await copyStates(alice))], ['ended'], 'and every copy of them');
      assert.deepEqual(await alice.evaluate(() => (window as unknown as { __wakeLocks: { released: boolean }[] }).__wakeLocks.map((l) => l.released)), [true], 'the wake lock is released');
    });
  });

  test('from a phone (Pixel 7 emulation): flip the camera, chat by touch, see the quality; no screen sharing offered', async () => {
    const desk = await (await context()).newPage();
    const link = await startNewCall(desk, server.url, 'Desk');
    await pressJoin(desk);
    const phone = await (await context({ ...devices['Pixel 7'] })).newPage();
    await phone.goto(link);
    await phone.getByLabel('Your name').waitFor();
    await pickCameraInLobby(phone, 'fake_device_2', 'Phone');
    await phone.getByRole('button', { name: 'Join', exact: true }).tap();
    await Promise.all([waitForCallState(phone, 'connected'), waitForCallState(desk, 'connected')]);
    await expectMediaFlowing(desk, 'Desk', 500);

    assert.equal(await phone.getByRole('button', { name: 'Share your screen' }).count(), 0, 'no share control on a phone');
    assert.equal(await phone.locator('[data-control=share]').isVisible(), false);
    await eventually(
      'phone camera 2 at Desk',
      () => picture(desk, REMOTE_VIDEO),
      (p) => fromFakeCamera(p, 2),
    );
    await phone.getByRole('button', { name: 'Switch camera' }).tap();
    await eventually(
      'phone camera 0 at Desk',
      () => picture(desk, REMOTE_VIDEO),
      (p) => fromFakeCamera(p, 0),
    );
    await expectMediaFlowing(desk, 'Desk after the flip', 1000);

    await phone.getByRole('button', { name: 'Chat' }).tap();
    await eventually('phone chat ready', () => phone.getByRole('button', { name: 'Send' }).isEnabled(), Boolean);
    await phone.getByRole('textbox', { name: 'Message' }).fill('from my phone');
    await phone.getByRole('button', { name: 'Send' }).tap();
    await desk.getByRole('button', { name: 'Chat, 1 unread' }).click();
    await desk.locator('.chat-log li.theirs', { hasText: 'from my phone' }).waitFor();
    await phone.getByRole('button', { name: 'Close chat' }).tap();

    const level = await eventually(
      'phone quality',
      () => phone.locator('.quality-indicator').getAttribute('data-quality'),
      (q) => q !== 'unknown',
    );
    assert.ok(await phone.locator('.quality-indicator').isVisible(), `indicator (${level}) on screen`);
    const layout = await phone.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth }));
    assert.ok(layout.scrollWidth <= layout.width, `page scrolls sideways: ${JSON.stringify(layout)}`);
    await phone.context().close();
    await desk.context().close();
  });
});
