import { type Evaluator, mediaPerTile, type TileMedia } from './browsers.ts';

/** New frames a tile must have decoded, on the transport asked for, since the wait began (or since it moved to that transport). */
const MOVING_FRAMES = 3;
/** How long a room on a loaded 2-core machine may take to get everyone's picture moving. */
const TILES_TIMEOUT_MS = 30_000;
/** How often the tiles are read. */
const READ_EVERY_MS = 300;

/**
 * Resolves once the page shows `others` tiles, every one fed by `transport`
 * and moving: its decoded frames risen by MOVING_FRAMES since the first
 * reading that saw it on that transport (or on a new receiver there).
 * Moving is not a frame rate: a loaded machine may decode a small layer at
 * a few frames a second, which is still a picture that moves (a CI run
 * failed a tile at 3 fps when "moving" meant 3 frames within 300 ms).
 */
export async function tilesMoving(page: Evaluator, label: string, others: number, transport: 'mesh' | 'sfu', timeoutMs = TILES_TIMEOUT_MS): Promise<TileMedia[]> {
  const deadline = Date.now() + timeoutMs;
  /** Each tile's count when first seen on `transport` (a tile fed by another transport is not counted yet). */
  const baseline = new Map<string, number>();
  for (;;) {
    const now = await mediaPerTile(page);
    for (const tile of now) {
      const first = baseline.get(tile.peerId);
      if (tile.transport !== transport) baseline.delete(tile.peerId);
      // A count lower than before is a new receiver (a new SFU subscription, after a restart): count from it.
      else if (first === undefined || tile.framesDecoded < first) baseline.set(tile.peerId, tile.framesDecoded);
    }
    const moving = now.filter((tile) => tile.transport === transport && tile.framesDecoded >= baseline.get(tile.peerId)! + MOVING_FRAMES);
    if (now.length === others && moving.length === others) return now;
    if (Date.now() > deadline) {
      const seen = now.map((tile) => ({ ...tile, framesWhenFirstSeen: baseline.get(tile.peerId) }));
      throw new Error(`${label}: wanted ${others} tiles moving on ${transport}, saw ${JSON.stringify(seen)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, READ_EVERY_MS));
  }
}
