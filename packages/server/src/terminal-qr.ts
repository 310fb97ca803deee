import { encodeQr, QUIET_ZONE_MODULES } from '@videoapp/qr-code';

// Light modules are drawn as the foreground colour on an explicit dark background, so the code reads the same on dark and light terminals.
const COLOURS = '\x1b[97;40m';
const RESET = '\x1b[0m';
/** Upper half block, lower half block, full block: two module rows per text line. */
const BLOCKS = { both: '█', top: '▀', bottom: '▄', none: ' ' };

/** A QR code of `text` as terminal lines, two module rows per line, quiet zone included. */
export function terminalQr(text: string): string[] {
  const code = encodeQr(text);
  const side = code.size + 2 * QUIET_ZONE_MODULES;
  const light = (x: number, y: number) => !code.dark[y - QUIET_ZONE_MODULES]?.[x - QUIET_ZONE_MODULES];
  const lines: string[] = [];
  for (let y = 0; y < side; y += 2) {
    let line = '';
    for (let x = 0; x < side; x++) {
      const top = light(x, y);
      const bottom = y + 1 < side ? light(x, y + 1) : false;
      line += top && bottom ? BLOCKS.both : top ? BLOCKS.top : bottom ? BLOCKS.bottom : BLOCKS.none;
    }
    lines.push(COLOURS + line + RESET);
  }
  return lines;
}
