type WakeLockSentinelLike = { released: boolean; release(): Promise<void>; addEventListener(type: 'release', fn: () => void): void };
type WakeLockLike = { request(type: 'screen'): Promise<WakeLockSentinelLike> };

export type WakeLockState = 'held' | 'released' | 'unavailable';

/**
 * Keeps the screen on while a call lasts (Wake Lock API where the browser has
 * it). The browser drops the lock whenever the page is hidden, so it is taken
 * again each time the page becomes visible. Returns what releases it for good.
 */
export function keepScreenAwake(onState: (state: WakeLockState) => void = () => {}): () => void {
  const wakeLock = (navigator as Navigator & { wakeLock?: WakeLockLike }).wakeLock;
  if (!wakeLock) {
    onState('unavailable');
    return () => {};
  }
  let sentinel: WakeLockSentinelLike | undefined;
  let done = false;
  const acquire = async () => {
    if (done || document.visibilityState !== 'visible' || (sentinel && !sentinel.released)) return;
    try {
      const next = await wakeLock.request('screen');
      if (done) return void next.release();
      sentinel = next;
      onState('held');
      next.addEventListener('release', () => !done && onState('released'));
    } catch {
      // Refused (battery saver, or a browser policy): the call goes on, the screen may dim.
      onState('unavailable');
    }
  };
  const onVisibility = () => void acquire();
  document.addEventListener('visibilitychange', onVisibility);
  void acquire();
  return () => {
    done = true;
    document.removeEventListener('visibilitychange', onVisibility);
    void sentinel?.release();
    onState('released');
  };
}
