/**
 * How the tiles of a group share the stage: how many go on a page, and how
 * many columns make the largest tiles. Pure arithmetic, so it is tested
 * without a browser.
 */

/** Tiles on one page of a phone-sized stage: six stay big enough to see a face (two columns of three). */
export const PHONE_PAGE_SIZE = 6;
/** Up to this stage width (CSS px) the stage pages; wider ones (laptops, tablets) show everyone at once. */
export const PHONE_MAX_WIDTH = 600;
/** Tiles on one page of a wider stage: everyone else in the largest SFU room (5×5 with our own picture). */
export const WIDE_PAGE_SIZE = 25;
/**
 * The tile shapes worth filling: a picture cropped to fill its tile
 * (object-fit: cover) still shows a face from a 3:4 upright tile to a camera's
 * own 16:9; beyond those, the rest of the cell is wasted.
 */
export const TILE_ASPECT = { min: 3 / 4, max: 16 / 9 } as const;
/** Gap between tiles, CSS px (matches the stylesheet's `gap`). */
export const TILE_GAP_PX = 4;
/** Counts up to which the stylesheet's own layouts (one tile; two columns; the 2+1 of three) are kept. */
export const STYLESHEET_LAYOUT_MAX = 4;

export function pageSize(stageWidth: number): number {
  return stageWidth <= PHONE_MAX_WIDTH ? PHONE_PAGE_SIZE : WIDE_PAGE_SIZE;
}

export function pageCount(tiles: number, size: number): number {
  return Math.max(1, Math.ceil(tiles / size));
}

/** The columns that give `count` tiles (of a shape within TILE_ASPECT) the largest area on a `width`×`height` stage. */
export function gridColumns(count: number, width: number, height: number): number {
  if (count <= 1 || width <= 0 || height <= 0) return 1;
  let best = 1;
  let bestArea = 0;
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    const cellWidth = (width - (cols - 1) * TILE_GAP_PX) / cols;
    const cellHeight = (height - (rows - 1) * TILE_GAP_PX) / rows;
    const usefulWidth = Math.min(cellWidth, cellHeight * TILE_ASPECT.max);
    const usefulHeight = Math.min(cellHeight, cellWidth / TILE_ASPECT.min);
    const area = usefulWidth * usefulHeight;
    if (area > bestArea) {
      best = cols;
      bestArea = area;
    }
  }
  return best;
}
