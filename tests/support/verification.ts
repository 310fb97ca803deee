import type { Evaluator } from './browsers.ts';

/** What the page shows of one person's verification code: the code, and whether their key is trusted (`verified-before`, `marked`, `unverified`). */
export interface ShownVerification {
  code: string;
  trust: string;
  /** The visible words of the note, for checks of what a person reads. */
  text: string;
  /** In a group, the name on the tile the code is shown in. */
  tileName: string | undefined;
}

/** Every verification code the page shows now (hidden ones, like a tile's in a 1:1 call, are not shown). */
export function shownVerifications(page: Evaluator): Promise<ShownVerification[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-verification-code]')]
      .filter((el) => el.checkVisibility())
      .map((el) => ({
        code: el.dataset.verificationCode ?? '',
        trust: el.dataset.trust ?? '',
        text: el.innerText,
        tileName: el.closest('.tile')?.querySelector('.tile-name')?.textContent ?? undefined,
      })),
  );
}

/** Waits until the page shows exactly one verification code (a 1:1 call), and returns it. */
export async function waitForVerification(page: Evaluator, label: string, timeoutMs = 20_000): Promise<ShownVerification> {
  return (await waitForVerifications(page, 1, label, timeoutMs))[0]!;
}

/** Waits until the page shows `count` verification codes (one per other person), and returns them. */
export async function waitForVerifications(page: Evaluator, count: number, label: string, timeoutMs = 20_000): Promise<ShownVerification[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await shownVerifications(page);
    if (shown.length === count) return shown;
    if (Date.now() > deadline) throw new Error(`${label}: expected ${count} verification codes within ${timeoutMs} ms, saw ${JSON.stringify(shown)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The remote DTLS fingerprint of every open connection the page made, as Chromium's certificate statistics report it. */
export function remoteFingerprints(page: Evaluator): Promise<string[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState === 'connected');
    const found: string[] = [];
    for (const pc of pcs) {
      const stats = new Map<string, Record<string, unknown>>();
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        stats.set(s.id as string, s);
      });
      for (const s of stats.values()) {
        if (s.type === 'transport' && typeof s.remoteCertificateId === 'string') found.push(String(stats.get(s.remoteCertificateId)?.fingerprint).toLowerCase());
      }
    }
    return found;
  });
}
