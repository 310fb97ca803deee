import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';

let bundle: Promise<string> | undefined;

/** packages/client bundled for the browser as the global `VideoAppClient`, built once per test process. */
export function clientBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [new URL('../../packages/client/src/index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    globalName: 'VideoAppClient',
    write: false,
    target: 'es2022',
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

/**
 * A page on the server's origin (so the socket's Origin is accepted) with the
 * call engine loaded and fake camera and microphone open, ready to join a
 * room through the engine alone, without the UI. The context must bypass CSP.
 */
export async function openEnginePage(context: BrowserContext, serverUrl: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${serverUrl}/healthz`);
  await page.addScriptTag({ content: await clientBundle() });
  return page;
}

/** In the page: open media, create a Call as `window.call`, and join `roomId`. */
export function joinWithEngine(page: Page, roomId: string, name: string): Promise<void> {
  return page.evaluate(
    async ({ roomId, name }) => {
      const w = window as unknown as { VideoAppClient: typeof import('@videoapp/client'); call: import('@videoapp/client').Call; stream: MediaStream };
      w.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
      w.call = new w.VideoAppClient.Call({
        signalingUrl: `ws://${location.host}/ws`,
        WebSocket,
        createPeerConnection: (config) => new RTCPeerConnection(config),
      });
      w.call.join(roomId, name, { audio: w.stream.getAudioTracks()[0] ?? null, video: w.stream.getVideoTracks()[0] ?? null });
    },
    { roomId, name },
  );
}

export function waitForEngineState(page: Page, kind: string, timeoutMs = 15_000): Promise<unknown> {
  return page.waitForFunction((k) => (window as unknown as { call?: { state: { kind: string } } }).call?.state.kind === k, kind, { timeout: timeoutMs, polling: 50 });
}
