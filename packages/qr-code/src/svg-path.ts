import { type QrCode, QUIET_ZONE_MODULES } from './qr-code.ts';

/**
 * An SVG path drawing the dark modules, one unit per module, offset by the
 * quiet zone; use it with viewBox "0 0 N N" where N is `qrSideWithQuietZone`.
 * Runs of dark modules in a row become one rectangle, which keeps the path short.
 */
export function qrSvgPath(code: QrCode): string {
  const parts: string[] = [];
  code.dark.forEach((row, y) => {
    for (let x = 0; x < code.size; x++) {
      if (!row[x]) continue;
      const start = x;
      while (x + 1 < code.size && row[x + 1]) x++;
      parts.push(`M${start + QUIET_ZONE_MODULES} ${y + QUIET_ZONE_MODULES}h${x - start + 1}v1h-${x - start + 1}z`);
    }
  });
  return parts.join('');
}

export const qrSideWithQuietZone = (code: QrCode): number => code.size + 2 * QUIET_ZONE_MODULES;
