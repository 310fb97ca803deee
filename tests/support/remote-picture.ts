import type { Page } from 'playwright-core';

/**
 * The green of the background Chromium's fake cameras paint, by device
 * index, as decoded at the other end of a call (measured; it survives
 * encoding exactly, at every resolution). Device 1 is a depth camera (Y16)
 * whose frames WebRTC cannot send, so tests that switch cameras use 0 and 2.
 */
export const FAKE_CAMERA_GREEN = { 0: 135, 2: 128 } as const;

export interface Picture {
  /** The decoded size of the video element's current frame. */
  width: number;
  height: number;
  /** Median green of the frame's green-only pixels: tells Chromium's fake cameras apart (FAKE_CAMERA_GREEN). */
  backgroundGreen: number;
}

/** What a video element in the page shows right now, read back through a canvas. */
export function picture(page: Page, selector: string): Promise<Picture> {
  return page.evaluate((sel) => {
    const video = document.querySelector<HTMLVideoElement>(sel);
    if (!video || video.videoWidth === 0) return { width: 0, height: 0, backgroundGreen: 0 };
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 36;
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(video, 0, 0, canvas.width, canvas.height);
    const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
    const greens: number[] = [];
    for (let i = 0; i < d.length; i += 4) if (d[i]! < 30 && d[i + 2]! < 30) greens.push(d[i + 1]!);
    greens.sort((a, b) => a - b);
    return { width: video.videoWidth, height: video.videoHeight, backgroundGreen: greens[greens.length >> 1] ?? 0 };
  }, selector);
}

/** Whether a picture comes from fake camera `device` (within a margin well under the gap between devices). */
export function fromFakeCamera(p: Picture, device: keyof typeof FAKE_CAMERA_GREEN): boolean {
  return p.width > 0 && Math.abs(p.backgroundGreen - FAKE_CAMERA_GREEN[device]) <= 2;
}
