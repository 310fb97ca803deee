import type { ClientMessage } from '@videoapp/protocol';
import type { Emitter } from './emitter.ts';
import type { LinkState, MediaKind } from './peer-link.ts';
import type { Transport } from './route-switch.ts';

/** The tracks a transport carries for one person (the ones the UI shows are those of the transport that feeds them). */
export type PeerTracks = Partial<Record<MediaKind, MediaStreamTrack>>;

export interface TransportEvents extends Record<string, unknown> {
  /** A track for a person arrived (or changed) on this transport. */
  track: { peerId: string; track: MediaStreamTrack };
  /** The link state of one person (or, undefined, of everyone) on this transport may have changed. */
  state: { peerId: string | undefined };
  /** A message for the signaling server. */
  send: ClientMessage;
}

/**
 * What the call needs of a way to carry media, whichever it is: the mesh (a
 * PeerLink per person) or the SFU (one publishing and one subscribing
 * connection). The call moves people between two of these.
 */
export interface MediaTransport extends Emitter<TransportEvents> {
  readonly kind: Transport;
  tracksOf(peerId: string): PeerTracks;
  linkStateOf(peerId: string): LinkState;
  /** Sends `track` for `kind` in place of the current one (null: send nothing), without renegotiating. */
  setLocalTrack(kind: MediaKind, track: MediaStreamTrack | null): Promise<void>;
  /**
   * The people among `peerIds` whose media decodes on this transport: video
   * frames decoded, or, for someone who sends no video (`videoExpected`
   * false), audio packets arriving.
   */
  decodingPeers(peerIds: string[], videoExpected: (peerId: string) => boolean): Promise<Set<string>>;
  /** The statistics behind one person's media on this transport. */
  statsOf(peerId: string): Promise<RTCStatsReport> | undefined;
  close(): void;
}

type Stat = Record<string, unknown> & { type: string };

/**
 * Frames a new transport must have decoded for a person before their tile
 * shows it: one key frame alone may be followed by a stall while the stream
 * settles (retransmissions, a layer switch), and the old picture is still
 * moving meanwhile.
 */
export const FRAMES_BEFORE_SHOWING = 5;

/** Whether a getStats report shows decoded video (or, where no video is expected, received audio) among `inbound` streams. */
export function showsDecodingMedia(inbound: Stat[], videoExpected: boolean): boolean {
  const video = inbound.some((s) => s.kind === 'video' && typeof s.framesDecoded === 'number' && s.framesDecoded >= FRAMES_BEFORE_SHOWING);
  if (video) return true;
  return !videoExpected && inbound.some((s) => s.kind === 'audio' && typeof s.packetsReceived === 'number' && s.packetsReceived > 0);
}

/** The inbound-rtp entries of a report. */
export function inboundStats(report: RTCStatsReport): Stat[] {
  const list: Stat[] = [];
  report.forEach((s: Stat) => {
    if (s.type === 'inbound-rtp') list.push(s);
  });
  return list;
}
