// Every request a page makes, for tests that promise nothing leaves our own server (the effects
// load their code, worklets and wasm from it, never from a CDN).
import type { BrowserContext, Page } from 'playwright-core';

/** Starts recording every URL the context's pages and workers request (WebSockets included); read the array later. */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (request) => urls.push(request.url()));
  context.on('page', (page: Page) => page.on('websocket', (socket) => urls.push(socket.url())));
  return urls;
}

/** The URLs that went anywhere but `base`'s host (data: and blob: URLs never leave the page). */
export function leavingOrigin(urls: string[], base: string): string[] {
  const host = new URL(base).host;
  return urls.filter((url) => {
    const parsed = new URL(url);
    return parsed.protocol !== 'data:' && parsed.protocol !== 'blob:' && parsed.host !== host;
  });
}
