import { type Evaluator, mediaPerTile, type TileMedia } from './browsers.ts';

/** New frames a tile must show between two readings to count as moving. */
const MOVING_FRAMES = 3;
/** How long a room on a loaded 2-core machine may take to get everyone's picture moving. */
const TILES_TIMEOUT_MS = 30_000;

/**
 * Resolves once the page shows `others` tiles, every one fed by `transport`
 * and moving (its decoded frames rising by MOVING_FRAMES between two readings).
 */
export async function tilesMoving(page: Evaluator, label: string, others: number, transport: 'mesh' | 'sfu', timeoutMs = TILES_TIMEOUT_MS): Promise<TileMedia[]> {
  const deadline = Date.now() + timeoutMs;
  let before = await mediaPerTile(page);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = await mediaPerTile(page);
    const moving = now.filter((tile) => tile.transport === transport && tile.framesDecoded >= (before.find((b) => b.peerId === tile.peerId)?.framesDecoded ?? 0) + MOVING_FRAMES);
    if (now.length === others && moving.length === others) return now;
    if (Date.now() > deadline) throw new Error(`${label}: wanted ${others} tiles moving on ${transport}, saw ${JSON.stringify(now)}`);
    before = now;
  }
}
