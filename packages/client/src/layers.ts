import type { VideoWant } from '@videoapp/protocol';

/** A simulcast layer a subscriber may ask for, lowest first. */
export type VideoLayer = Exclude<VideoWant, 'off'>;
export const LAYERS: readonly VideoLayer[] = ['low', 'medium', 'high'];

/** How big a tile shows a person, in device pixels; `off` when it is not on screen at all. */
export type TileView = { width: number; height: number } | 'off';

/**
 * The tallest tile (device pixels) each layer is enough for. The layers are a
 * quarter, half and all of a 720p camera (180, 360, 720 rows); a layer up to
 * a third larger than the tile still looks sharp, so a tile gets the lowest
 * layer that is at least three quarters of its height.
 */
export const LAYER_MAX_TILE_HEIGHT: Record<Exclude<VideoLayer, 'high'>, number> = { low: 240, medium: 480 };

/** The layer a tile of `view` size needs. */
export function layerForTile(view: TileView): VideoWant {
  if (view === 'off') return 'off';
  // Tiles crop the picture to fill themselves (object-fit: cover), so a wide tile needs the rows its width implies for a 16:9 camera.
  const rows = Math.max(view.height, (view.width * 9) / 16);
  if (rows <= LAYER_MAX_TILE_HEIGHT.low) return 'low';
  if (rows <= LAYER_MAX_TILE_HEIGHT.medium) return 'medium';
  return 'high';
}

/** The lower of a wanted layer and a cap; `off` stays off. */
export function capLayer(want: VideoWant, cap: VideoLayer): VideoWant {
  if (want === 'off') return 'off';
  return LAYERS.indexOf(want) <= LAYERS.indexOf(cap) ? want : cap;
}

/**
 * When the downlink counts as poor: more loss than a few percent shows as
 * frozen video. The browser's incoming bandwidth estimate is not used: it
 * grows only with what arrives, so a subscriber that asked for low layers
 * would read a low estimate, call it poor, and never climb back (seen in the
 * SFU tests on a loaded machine: a large tile held at 180 px for 30 s).
 */
export const DOWNLINK_POOR = { loss: 0.05 } as const;
/** Readings in a row (QUALITY_INTERVAL_MS apart) the downlink must be good before a dropped layer comes back: 10 s. */
export const DOWNLINK_RECOVER_READINGS = 5;

/** One reading of the subscriber connection. */
export interface DownlinkReading {
  /** Share of packets lost since the last reading (0..1). */
  loss: number;
}

/**
 * Caps the layers a subscriber asks for while its downlink is poor: each
 * poor reading drops the cap one layer (down to low), and only a run of good
 * readings lifts it one layer again, so a flapping link settles low rather
 * than oscillating.
 */
export class DownlinkGovernor {
  private capIndex = LAYERS.length - 1;
  private goodReadings = 0;

  get cap(): VideoLayer {
    return LAYERS[this.capIndex]!;
  }

  /** Takes one reading; returns true when the cap changed. */
  observe(reading: DownlinkReading): boolean {
    const poor = reading.loss > DOWNLINK_POOR.loss;
    if (poor) {
      this.goodReadings = 0;
      if (this.capIndex === 0) return false;
      this.capIndex--;
      return true;
    }
    if (this.capIndex === LAYERS.length - 1) return false;
    if (++this.goodReadings < DOWNLINK_RECOVER_READINGS) return false;
    this.goodReadings = 0;
    this.capIndex++;
    return true;
  }

  reset(): void {
    this.capIndex = LAYERS.length - 1;
    this.goodReadings = 0;
  }
}

/**
 * How long tile sizes must hold still before the SFU is asked for other
 * layers: a window being resized or a page being swiped sends one request at
 * the end, not one per frame.
 */
export const VIEW_DEBOUNCE_MS = 300;

export type ViewFeed = { peerId: string; video: VideoWant };

/**
 * What we ask the SFU to send of each person's video: collects tile sizes and
 * the downlink cap, and after VIEW_DEBOUNCE_MS of quiet sends only the people
 * whose layer changed since the last request.
 */
export class ViewRequests {
  private readonly tiles = new Map<string, TileView>();
  private readonly sent = new Map<string, VideoWant>();
  private readonly governor = new DownlinkGovernor();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private active = false;

  constructor(private readonly send: (feeds: ViewFeed[]) => void) {}

  /** The UI's tile for `peerId` is now this size (or off screen). */
  setTile(peerId: string, view: TileView): void {
    this.tiles.set(peerId, view);
    this.schedule();
  }

  forget(peerId: string): void {
    this.tiles.delete(peerId);
    this.sent.delete(peerId);
  }

  /** A reading of the subscriber connection; a changed cap re-asks for every tile. */
  observeDownlink(reading: DownlinkReading): void {
    if (this.governor.observe(reading)) this.schedule();
  }

  get downlinkCap(): VideoLayer {
    return this.governor.cap;
  }

  /** Requests go out only while we receive through the SFU; starting again re-sends everything (a new SFU session knows nothing). */
  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    this.sent.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    if (active) this.schedule();
    else this.governor.reset();
  }

  /** Sends the whole view again at once: the SFU may have forgotten it (a reset, a new subscription). */
  resend(): void {
    this.sent.clear();
    this.flush();
  }

  /** What would be asked for `peerId` now. */
  wantFor(peerId: string): VideoWant {
    return capLayer(layerForTile(this.tiles.get(peerId) ?? { width: 0, height: 0 }), this.governor.cap);
  }

  close(): void {
    clearTimeout(this.timer);
    this.active = false;
  }

  private schedule(): void {
    if (!this.active) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), VIEW_DEBOUNCE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.active) return;
    const changed: ViewFeed[] = [];
    for (const peerId of this.tiles.keys()) {
      const video = this.wantFor(peerId);
      if (this.sent.get(peerId) === video) continue;
      this.sent.set(peerId, video);
      changed.push({ peerId, video });
    }
    if (changed.length > 0) this.send(changed);
  }
}
