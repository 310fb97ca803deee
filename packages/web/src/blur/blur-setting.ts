// Part of the first page: only the remembered choice and the door to the lazily loaded blur code.
import type { BackgroundBlurModule } from './background-blur.ts';

const BLUR_KEY = 'videoapp:blur-background';

/** Whether this person last chose to blur their background; remembered like the name. */
export function savedBlur(): boolean {
  try {
    return localStorage.getItem(BLUR_KEY) === '1';
  } catch {
    return false;
  }
}

export function saveBlur(on: boolean): void {
  try {
    localStorage.setItem(BLUR_KEY, on ? '1' : '0');
  } catch {
    // Without storage the switch simply starts off next time.
  }
}

/** The segmentation and compositing code (and, through it, the model) loads only when someone turns blur on. */
export function loadBackgroundBlur(): Promise<BackgroundBlurModule> {
  return import('./background-blur.ts');
}
