import { type PeerStatus, type PeerView, peerStatus } from '@videoapp/client';
import { h } from '../dom.ts';

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
}

type Sinkable = HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };

/**
 * The other people in the call. With one other person their tile fills the
 * stage and the banner speaks for them; with more, the stage becomes a grid
 * and each tile carries its own name and status. Sound plays from one audio
 * element per person (the video is muted, so it may always autoplay), so a
 * chosen speaker applies to everyone.
 */
export class RemoteTiles {
  readonly element = h('div', { class: 'remotes', 'data-count': 0 });
  private readonly tiles = new Map<string, Tile>();
  /** The first tile's video is handed out once, for the first-frame mark, however many come and go. */
  private firstTileShown = false;

  constructor(
    private readonly speakerId: () => string,
    private readonly onAudioBlocked: () => void,
    private readonly onFirstTile: (video: HTMLVideoElement) => void,
  ) {}

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
    tile.element.classList.toggle('stale', status === 'reconnecting');
    tile.element.classList.toggle('remote-lost', status === 'lost');
    this.layout();
    return changed ? status : undefined;
  }

  /** Plays a track the moment it arrives: the elements are live before any track exists. */
  addTrack(peerId: string, track: MediaStreamTrack): void {
    const tile = this.tiles.get(peerId) ?? this.create(peerId);
    const element = track.kind === 'video' ? tile.video : tile.audio;
    const stream = element.srcObject as MediaStream;
    for (const old of track.kind === 'video' ? stream.getVideoTracks() : stream.getAudioTracks()) stream.removeTrack(old);
    stream.addTrack(track);
    if (track.kind === 'video') void tile.video.play().catch(() => {});
    else void tile.audio.play().catch(() => this.onAudioBlocked());
  }

  /** After a tap: start every person's sound that autoplay refused. */
  playAll(): void {
    for (const tile of this.tiles.values()) void tile.audio.play().catch(() => {});
  }

  /** Never leave a frozen last frame on screen for someone who is gone. */
  remove(peerId: string): void {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.audio.srcObject = null;
    tile.element.remove();
    this.tiles.delete(peerId);
    this.layout();
  }

  clear(): void {
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }

  private create(peerId: string): Tile {
    const video = h('video', { class: 'remote', autoplay: true, playsinline: true });
    const audio = h('audio', { autoplay: true });
    const name = h('span', { class: 'tile-name' });
    const status = h('span', { class: 'tile-status' });
    video.muted = true;
    video.srcObject = new MediaStream();
    audio.srcObject = new MediaStream();
    const speaker = this.speakerId();
    if (speaker) void (audio as Sinkable).setSinkId?.(speaker).catch(() => {});
    const element = h('figure', { class: 'tile', 'data-peer-id': peerId }, video, audio, h('figcaption', { class: 'tile-label' }, name, status));
    const tile = { element, video, audio, name, status };
    if (!this.firstTileShown) {
      this.firstTileShown = true;
      this.onFirstTile(video);
    }
    this.tiles.set(peerId, tile);
    this.element.append(element);
    this.layout();
    return tile;
  }

  private layout(): void {
    const count = this.tiles.size;
    this.element.dataset.count = String(count);
    this.element.classList.toggle('group', count >= 2);
    // The one person of a 1:1 call is named by the page's banner; in a group each picture says who it is.
    for (const tile of this.tiles.values()) tile.video.setAttribute('aria-label', count >= 2 ? tile.name.textContent || 'Someone' : 'The other person');
  }
}
