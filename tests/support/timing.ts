// Time in tests. The suite gates every landing and runs on shared machines, beside other
// CPU-heavy work, so a test fails on behaviour, never on speed alone:
//   - a behaviour with a timing target (the other side told within a second, say) may take
//     LOADED_MACHINE_FACTOR times its target before the test fails, and the test reports the
//     figure it measured beside the target, so a slow-down shows without failing the gate;
//   - a test waits for the event or condition it needs, not a fixed time.
// Timing promises proper are measured as figures by `npm run bench`.
import type { TestContext } from 'node:test';

/** How many times its target a timed behaviour may take on a loaded machine before a test fails. */
export const LOADED_MACHINE_FACTOR = 5;

/** The bound a test enforces for a behaviour whose target is `targetMs`. */
export function loadedBound(targetMs: number): number {
  return targetMs * LOADED_MACHINE_FACTOR;
}

/** Reports a measured time beside its target, as a node:test diagnostic (shown under the test in the output). */
export function reportFigure(t: TestContext, what: string, ms: number, targetMs: number): void {
  const verdict = ms <= targetMs ? 'within' : 'OVER';
  t.diagnostic(`${what}: ${Math.round(ms)} ms (${verdict} the ${targetMs} ms target)`);
}

/** Reads `read` until `ok` holds, at most `timeoutMs`; throws with the last value otherwise. */
export async function eventually<T>(label: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline) throw new Error(`${label}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    value = await read();
  }
  return value;
}
