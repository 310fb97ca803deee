import type { ErrorCode, MediaState } from '@videoapp/protocol';
import type { LinkState } from './peer-link.ts';
import type { SignalingState } from './signaling-client.ts';

/** How long media may stay interrupted before the UI says the other person's connection was lost. */
export const PEER_LOST_AFTER_MS = 8_000;

/** What the call knows about one other person. */
export interface PeerView {
  id: string;
  name: string;
  /** `away`: their signaling socket dropped and the server is holding their place. */
  presence: 'here' | 'away';
  link: LinkState;
  media: MediaState | undefined;
  /** When media to this peer stopped (link unstable or failed); undefined while connected. */
  interruptedAt: number | undefined;
}

/** `hung-up`: we did; `peer-hung-up`: the other person ended the call; the rest are join failures. */
export type CallEndReason = 'hung-up' | 'peer-hung-up' | Extract<ErrorCode, 'room-not-found' | 'room-full' | 'room-locked' | 'wrong-passcode' | 'rate-limited' | 'unsupported-version'>;

/** The one state the UI renders, derived from the socket, the peers and how the call began or ended. */
export type CallState =
  | { kind: 'joining'; offline: boolean }
  | { kind: 'waiting' }
  | { kind: 'connecting'; peer: PeerView }
  /** Media flows; `serverLost` when our signaling socket is down meanwhile (the call goes on peer to peer). */
  | { kind: 'connected'; peer: PeerView; serverLost: boolean }
  /**
   * Media stopped and recovery is under way. `lost`: for a peer, the server
   * has lost them too, or recovery has taken longer than PEER_LOST_AFTER_MS —
   * say plainly that their connection was lost.
   */
  | { kind: 'reconnecting'; who: 'us' | 'peer'; peer?: PeerView; lost: boolean }
  | { kind: 'peer-left'; name: string; reason: 'left' | 'lost' }
  | { kind: 'ended'; reason: CallEndReason; by?: string };

/** Where the call itself is: joining, in the room as `selfId`, or over. */
export type CallPhase = { kind: 'joining' } | { kind: 'in-room'; selfId: string } | { kind: 'ended'; reason: CallEndReason; by?: string };

export interface CallFacts {
  phase: CallPhase;
  signaling: SignalingState;
  peers: PeerView[];
  /** The last person to leave, for "Ada left the call" until someone else arrives. */
  lastDeparture: { name: string; reason: 'left' | 'lost' } | undefined;
  now: number;
}

/**
 * The state to show, as a pure function of what the call knows. Flowing media
 * wins over everything but the end: a call whose server is unreachable but
 * whose media flows is still a call.
 */
export function deriveCallState({ phase, signaling, peers, lastDeparture, now }: CallFacts): CallState {
  if (phase.kind === 'ended') return { kind: 'ended', reason: phase.reason, by: phase.by };
  if (phase.kind === 'joining') return { kind: 'joining', offline: signaling.kind === 'connecting' && signaling.attempt > 0 };
  const signalingDown = signaling.kind !== 'open';
  // With several people, media flowing with any one of them is a call; otherwise speak of the first.
  const peer = peers.find((p) => p.link === 'connected') ?? peers[0];
  if (peer?.link === 'connected') return { kind: 'connected', peer, serverLost: signalingDown };
  if (signalingDown) return { kind: 'reconnecting', who: 'us', peer, lost: false };
  if (!peer) return lastDeparture ? { kind: 'peer-left', ...lastDeparture } : { kind: 'waiting' };
  const status = peerStatus(peer, now);
  if (status === 'connecting') return { kind: 'connecting', peer };
  return { kind: 'reconnecting', who: 'peer', peer, lost: status === 'lost' };
}

/** Where the link to one person stands, for their own tile in a group call. */
export type PeerStatus = 'connecting' | 'connected' | 'reconnecting' | 'lost';

/**
 * One peer's status by the rules the call state applies to a 1:1 call:
 * interrupted media is reconnecting, and lost once the server lost them too,
 * the link failed, or recovery has taken PEER_LOST_AFTER_MS.
 */
export function peerStatus(peer: PeerView, now: number): PeerStatus {
  if (peer.link === 'connected') return 'connected';
  if (peer.presence === 'away' || peer.interruptedAt !== undefined) {
    const lost = peer.presence === 'away' || peer.link === 'failed' || now - (peer.interruptedAt ?? now) >= PEER_LOST_AFTER_MS;
    return lost ? 'lost' : 'reconnecting';
  }
  return 'connecting';
}
