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

export function callStatesSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => [...new Set((window as unknown as { __callStates: string[] }).__callStates)]);
}
