// Part of the first page: only the remembered choice and the door to the lazily loaded blur code.
import { savedFlag, saveFlag } from '../saved-flag.ts';
import type { BackgroundBlurModule } from './background-blur.ts';

const BLUR_KEY = 'videoapp:blur-background';

/** Whether this person last chose to blur their background; remembered like the name. */
export function savedBlur(): boolean {
  return savedFlag(BLUR_KEY, false);
}

export function saveBlur(on: boolean): void {
  saveFlag(BLUR_KEY, on);
}

/** The segmentation and compositing code (and, through it, the model) loads only when someone turns blur on. */
export function loadBackgroundBlur(): Promise<BackgroundBlurModule> {
  return import('./background-blur.ts');
}
