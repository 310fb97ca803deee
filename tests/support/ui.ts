import type { Page } from 'playwright-core';

/** Drives the app as a person would: Home → "New call" → lobby. Returns the room link shown there. */
export async function startNewCall(page: Page, baseUrl: string, name = 'Ada'): Promise<string> {
  await page.goto(baseUrl);
  await page.getByRole('button', { name: 'New call' }).click();
  await page.getByLabel('Your name').fill(name);
  return page.getByRole('textbox', { name: 'Call link' }).inputValue();
}

/** Opens a room link and waits in the lobby until "Join" can be pressed. */
export async function openLobby(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.getByLabel('Your name').fill(name);
}

export async function pressJoin(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.locator('[data-call-state]').waitFor();
}

export function callState(page: Page): Promise<string | null> {
  return page.locator('.room').getAttribute('data-call-state');
}

/** Waits until the room shows `state`, polling the attribute the UI renders. */
export async function waitForCallState(page: Page, state: string, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  await page.waitForFunction((s) => document.querySelector('.room')?.getAttribute('data-call-state') === s, state, { timeout: timeoutMs, polling: 50 });
  return Date.now() - started;
}

/** From now on, remembers every state the room shows (in the page), for `callStatesSeen`: nothing in between is missed. */
export function recordCallStates(page: Page): Promise<void> {
  return page.evaluate(() => {
    const room = document.querySelector('.room')!;
    const seen = [room.getAttribute('data-call-state') ?? ''];
    (window as unknown as { __callStates: string[] }).__callStates = seen;
    new MutationObserver(() => seen.push(room.getAttribute('data-call-state') ?? '')).observe(room, { attributeFilter: ['data-call-state'] });
  });
}

/**
 * From the next page load on, keeps a short line per signaling frame the page sends or receives (time since the
 * page started, direction, message type, offer or answer, sender), in `__signals`: for the diagnosis of a call
 * that does not connect. Call before the page loads the app.
 */
export async function recordSignaling(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const lines: string[] = [];
    (window as unknown as { __signals: string[] }).__signals = lines;
    const note = (direction: string, frame: unknown) => {
      const text = String(frame);
      const type = /"type":"([\w-]+)"/.exec(text)?.[1] ?? '?';
      const sdp = /\\?"type\\?":\\?"(offer|answer|rollback)/.exec(text)?.[1];
      const from = /"from":"(\w{1,6})/.exec(text)?.[1];
      lines.push(`${Math.round(performance.now())} ${direction} ${type}${sdp ? ` ${sdp}` : ''}${from ? ` from ${from}` : ''}`);
    };
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        this.addEventListener('open', () => note('open', ''));
        this.addEventListener('message', (event) => note('in', event.data));
        this.addEventListener('close', (event) => note('close', `"type":"${event.code}"`));
      }
      override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
        note('out', data);
        super.send(data);
      }
    };
  });
}

export function callStatesSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => [...new Set((window as unknown as { __callStates: string[] }).__callStates)]);
}
