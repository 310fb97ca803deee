import { type PeerStatus, type PeerView, peerStatus, type TileView } from '@videoapp/client';
import { drawBeforeNextFrame, h } from '../dom.ts';
import { gridColumns, pageCount, pageSize, STYLESHEET_LAYOUT_MAX } from './tile-grid.ts';
import { VerificationNote } from './verification-note.ts';

/** What a tile says under a person's name when their link is not simply flowing. */
const STATUS_WORDS: Record<PeerStatus, string> = {
  connecting: 'Connecting…',
  connected: '',
  reconnecting: 'Reconnecting…',
  lost: 'Connection lost',
  unreachable: 'Could not connect',
};

/** One other person on the stage: their picture, their sound, and (in a group) their name and status in words. */
interface Tile {
  element: HTMLElement;
  video: HTMLVideoElement;
  audio: HTMLAudioElement;
  name: HTMLElement;
  status: HTMLElement;
  /** Their verification code, in the tile's details: shown in a group (a 1:1 call shows it beside the call's status). */
  verification: VerificationNote;
  /** "Hand raised", shown over the picture (also in a 1:1 call, where the name label is hidden). */
  hand: HTMLElement;
}

type Sinkable = HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };

export interface RemoteTilesHooks {
  speakerId: () => string;
  onAudioBlocked: () => void;
  onFirstTile: (video: HTMLVideoElement) => void;
  /** How big a person's tile is now (device pixels), or `off` when it is not on screen. */
  onTileView: (peerId: string, view: TileView) => void;
  /** "Mark as verified" was pressed on a person's tile; false when their key could not be remembered. */
  onMarkVerified: (peerId: string) => boolean;
}

/**
 * The other people in the call. With one other person their tile fills the
 * stage and the banner speaks for them; with more, the stage becomes a grid
 * (paged on a phone) and each tile carries its own name and status, the
 * active speaker highlighted. Sound plays from one audio element per person
 * (the video is muted, so it may always autoplay), so a chosen speaker
 * applies to everyone. A tile keeps its elements for as long as the person
 * stays: when their media comes another way, only the stream it plays changes.
 */
export class RemoteTiles {
  readonly element = h('div', { class: 'remotes', 'data-count': 0 });
  private readonly pageLabel = h('span', { class: 'page-label', 'aria-live': 'polite' });
  private readonly previous = h('button', { type: 'button', class: 'page-previous', 'aria-label': 'Previous people' }, '‹');
  private readonly next = h('button', { type: 'button', class: 'page-next', 'aria-label': 'More people' }, '›');
  /** Page controls, shown when not everyone fits one page. */
  readonly pager = h('nav', { class: 'pager', 'aria-label': 'Pages of people', hidden: true }, this.previous, this.pageLabel, this.next);
  private readonly tiles = new Map<string, Tile>();
  private readonly sizes = new ResizeObserver((entries) => this.onResize(entries));
  private page = 0;
  private activeSpeaker: string | undefined;
  /** The first tile's video is handed out once, for the first-frame mark, however many come and go. */
  private firstTileShown = false;
  /** Lays the tiles out before the next frame: measuring the stage in every change would lay out the page each time. */
  private readonly layoutSoon = drawBeforeNextFrame(() => this.layout());

  constructor(private readonly hooks: RemoteTilesHooks) {
    this.previous.addEventListener('click', () => this.turnPage(-1));
    this.next.addEventListener('click', () => this.turnPage(1));
    this.sizes.observe(this.element);
  }

  /** Every element that plays a person's sound, for the speaker choice. */
  get speakerOutputs(): HTMLMediaElement[] {
    return [...this.tiles.values()].map((tile) => tile.audio);
  }

  get count(): number {
    return this.tiles.size;
  }

  /** Creates the tile for `peer` if it is new, and writes their name and status. Returns the status if it changed. */
  show(peer: PeerView, now = Date.now()): PeerStatus | undefined {
    const tile = this.tiles.get(peer.id) ?? this.create(peer.id);
    tile.name.textContent = peer.name || 'Someone';
    const status = peerStatus(peer, now);
    const changed = tile.element.dataset.peerStatus !== status;
    const cameraOff = peer.media && !peer.media.video ? 'Camera off' : '';
    tile.status.textContent = [STATUS_WORDS[status], cameraOff].filter(Boolean).join(' · ');
    tile.element.dataset.peerStatus = status;
    tile.verification.render(peer.verification);
    // For tests that wait for a move between transports; nothing on screen depends on it.
    if (peer.transport) tile.element.dataset.transport = peer.transport;
    tile.element.dataset.talking = String(peer.talking);
    tile.element.classList.toggle('stale', status === 'reconnecting');
    tile.element.classList.toggle('remote-lost', status === 'lost');
    if (peer.talking && this.activeSpeaker !== peer.id) this.setActiveSpeaker(peer.id);
    this.layoutSoon();
    return changed ? status : undefined;
  }

  /**
   * Plays a track the moment it arrives: the elements are live before any
   * track exists. A track replacing another (the person's media now comes
   * another way, already decoding) gets a stream of its own, swapped into the
   * same element, so the tile never empties.
   */
  addTrack(peerId: string, track: MediaStreamTrack): void {
    const tile = this.tiles.get(peerId) ?? this.create(peerId);
    const element = track.kind === 'video' ? tile.video : tile.audio;
    const stream = element.srcObject as MediaStream;
    const current = track.kind === 'video' ? stream.getVideoTracks() : stream.getAudioTracks();
    if (current.includes(track)) return;
    if (current.length === 0) stream.addTrack(track);
    else element.srcObject = new MediaStream([track]);
    if (track.kind === 'video') void tile.video.play().catch(() => {});
    else void tile.audio.play().catch(() => this.hooks.onAudioBlocked());
  }

  /** Shows or hides a person's raised hand on their tile. */
  setHand(peerId: string, raised: boolean): void {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    tile.hand.hidden = !raised;
    tile.element.dataset.hand = raised ? 'raised' : 'down';
  }

  /** The tile reactions from `peerId` float over. */
  tileOf(peerId: string): HTMLElement | undefined {
    return this.tiles.get(peerId)?.element;
  }

  /** The picture to pop out: the one other person, or in a group whoever spoke last (the first tile until someone has). */
  speakerVideo(): HTMLVideoElement | undefined {
    const speaker = this.activeSpeaker === undefined ? undefined : this.tiles.get(this.activeSpeaker);
    return (speaker ?? this.tiles.values().next().value)?.video;
  }

  /** After a tap: start every person's sound that autoplay refused. */
  playAll(): void {
    for (const tile of this.tiles.values()) void tile.audio.play().catch(() => {});
  }

  /** Never leave a frozen last frame on screen for someone who is gone. */
  remove(peerId: string): void {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    this.sizes.unobserve(tile.element);
    tile.video.srcObject = null;
    tile.audio.srcObject = null;
    tile.element.remove();
    this.tiles.delete(peerId);
    if (this.activeSpeaker === peerId) this.activeSpeaker = undefined;
    this.layoutSoon();
  }

  clear(): void {
    for (const id of [...this.tiles.keys()]) this.remove(id);
    this.sizes.disconnect();
  }

  private create(peerId: string): Tile {
    const video = h('video', { class: 'remote', autoplay: true, playsinline: true });
    const audio = h('audio', { autoplay: true });
    const name = h('span', { class: 'tile-name' });
    const status = h('span', { class: 'tile-status' });
    video.muted = true;
    video.srcObject = new MediaStream();
    audio.srcObject = new MediaStream();
    const speaker = this.hooks.speakerId();
    if (speaker) void (audio as Sinkable).setSinkId?.(speaker).catch(() => {});
    const verification = new VerificationNote('tile', () => this.hooks.onMarkVerified(peerId));
    const hand = h('span', { class: 'tile-hand', hidden: true }, h('span', { 'aria-hidden': 'true' }, '✋ '), 'Hand raised');
    const element = h('figure', { class: 'tile', 'data-peer-id': peerId, 'data-hand': 'down' }, video, audio, hand, h('figcaption', { class: 'tile-label' }, name, status, verification.element));
    const tile = { element, video, audio, name, status, verification, hand };
    if (!this.firstTileShown) {
      this.firstTileShown = true;
      this.hooks.onFirstTile(video);
    }
    this.tiles.set(peerId, tile);
    this.element.append(element);
    this.sizes.observe(element);
    this.layoutSoon();
    return tile;
  }

  /** The one highlighted as speaking stays so until someone else speaks, so the highlight does not flicker away in pauses. */
  private setActiveSpeaker(peerId: string): void {
    this.activeSpeaker = peerId;
    for (const [id, tile] of this.tiles) tile.element.classList.toggle('speaking', id === peerId);
  }

  private turnPage(step: number): void {
    this.page += step;
    this.layoutSoon();
  }

  /** Pages, columns and labels for the tiles there are now; tiles off the page are hidden (and so reported `off`). */
  private layout(): void {
    const count = this.tiles.size;
    this.element.dataset.count = String(count);
    this.element.classList.toggle('group', count >= 2);
    const { width, height } = this.element.getBoundingClientRect();
    const size = pageSize(width || window.innerWidth);
    const pages = pageCount(count, size);
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    const first = this.page * size;
    const onPage = Math.min(size, count - first);
    [...this.tiles.values()].forEach((tile, i) => {
      tile.element.hidden = i < first || i >= first + size;
    });
    const large = onPage > STYLESHEET_LAYOUT_MAX;
    this.element.classList.toggle('large', large);
    if (large) this.element.style.setProperty('--columns', String(gridColumns(onPage, width, height)));
    this.pager.hidden = pages < 2;
    // The page controls get a strip of their own rather than covering the bottom row's names.
    this.element.classList.toggle('paged', pages > 1);
    this.pageLabel.textContent = `${this.page + 1} / ${pages}`;
    this.previous.disabled = this.page === 0;
    this.next.disabled = this.page === pages - 1;
    // The one person of a 1:1 call is named by the page's banner; in a group each picture says who it is.
    for (const tile of this.tiles.values()) tile.video.setAttribute('aria-label', count >= 2 ? tile.name.textContent || 'Someone' : 'The other person');
  }

  /** Sizes changed (a resize, a new layout, a page turned): tell the call how big each person now is. */
  private onResize(entries: ResizeObserverEntry[]): void {
    const scale = window.devicePixelRatio || 1;
    for (const entry of entries) {
      if (entry.target === this.element) {
        this.layout();
        continue;
      }
      const peerId = (entry.target as HTMLElement).dataset.peerId;
      if (!peerId) continue;
      const { width, height } = entry.contentRect;
      this.hooks.onTileView(peerId, width === 0 || height === 0 ? 'off' : { width: Math.round(width * scale), height: Math.round(height * scale) });
    }
  }
}
