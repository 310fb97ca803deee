import type { ErrorCode, MediaState } from '@videoapp/protocol';
import type { PeerTracks } from './media-transport.ts';
import type { LinkState } from './peer-link.ts';
import type { Transport } from './route-switch.ts';
import type { SignalingState } from './signaling-client.ts';
import type { Verification } from './verification-code.ts';

/**
 * How long media may stay interrupted before the UI says the other person's
 * connection was lost. An interruption is noticed about a second after it
 * starts (media-stall.ts), so a vanished peer is called lost within five
 * seconds, while a blip of a second or two, or a 3 s cut, stays
 * "reconnecting".
 */
export const PEER_LOST_AFTER_MS = 3_500;

/**
 * How long a link may try before the UI says it could not connect. A call
 * that can connect does within a few seconds, even relayed (1–3 s over UDP
 * or TCP in tests/e2e/turn-relay.test.ts), which leaves a slow TURN
 * allocation on a distant relay ten seconds more. Chromium itself gives up
 * on a first attempt with no working path after about 15 s; waiting out the
 * ICE restart that follows would take as long again, leaving a person
 * staring at "Connecting…" for half a minute when the retry is unlikely to
 * fare better.
 */
export const NEVER_CONNECTED_MS = 15_000;

/**
 * Since when media with a person has not been flowing: `never-connected`
 * since we began connecting to them, `interrupted` since media that flowed
 * stopped. Which one decides what a long outage means: a path never found,
 * or a connection lost.
 */
export interface Outage {
  kind: 'never-connected' | 'interrupted';
  since: number;
}

/** How long each kind of outage lasts before the UI stops saying it is (re)connecting. */
export const OUTAGE_BOUND_MS: Record<Outage['kind'], number> = {
  'never-connected': NEVER_CONNECTED_MS,
  interrupted: PEER_LOST_AFTER_MS,
};

/** The outage after the link to a person moved to `link`: media flowing ends it; one that never flowed stays that until it does. */
export function nextOutage(outage: Outage | undefined, link: LinkState, now: number): Outage | undefined {
  if (link === 'connected') return undefined;
  if (outage?.kind === 'never-connected') return outage;
  return link === 'unstable' || link === 'failed' ? (outage ?? { kind: 'interrupted', since: now }) : undefined;
}

/**
 * What the call knows about one other person: a participant. The UI renders
 * these and never learns more about how their media travels than the
 * `transport` name it may put on a test attribute.
 */
export interface PeerView {
  id: string;
  name: string;
  /** `away`: their signaling socket dropped and the server is holding their place. */
  presence: 'here' | 'away';
  /** The state of whatever carries their media to us (their mesh link, or our SFU subscription). */
  link: LinkState;
  media: MediaState | undefined;
  /** Media is not flowing, and since when; undefined while it flows (or while a link that had flowed negotiates again). */
  outage: Outage | undefined;
  /** Speaking now: from the SFU's audio levels, or from the levels we receive in a mesh group. */
  talking: boolean;
  /** Which transport the tracks we show for them come from; undefined until their first media arrives. */
  transport: Transport | undefined;
  /** The tracks to show for them (also announced one by one in `track` events). */
  tracks: PeerTracks;
  /** The code to read to them, once the keys protecting media with them are known. */
  verification: Verification | undefined;
}

/** Another person in the room, as the engine's API names it. */
export type Participant = PeerView;

/** `hung-up`: we did; `peer-hung-up`: the other person ended the call; the rest are join failures. */
export type CallEndReason =
  | 'hung-up'
  | 'peer-hung-up'
  | Extract<ErrorCode, 'room-not-found' | 'room-full' | 'room-locked' | 'wrong-passcode' | 'rate-limited' | 'unsupported-version' | 'knock-required'>;

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
  /**
   * Media with the peer never flowed within NEVER_CONNECTED_MS (the link
   * keeps trying meanwhile). `relayAvailable`: whether the server handed out
   * a TURN relay; without one, people on different networks cannot connect.
   */
  | { kind: 'unreachable'; peer: PeerView; relayAvailable: boolean }
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
  /** Whether the server handed out a TURN relay. */
  relayAvailable: boolean;
  now: number;
}

/**
 * The state to show, as a pure function of what the call knows. Flowing media
 * wins over everything but the end: a call whose server is unreachable but
 * whose media flows is still a call.
 */
export function deriveCallState({ phase, signaling, peers, lastDeparture, relayAvailable, now }: CallFacts): CallState {
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
  if (status === 'unreachable') return { kind: 'unreachable', peer, relayAvailable };
  return { kind: 'reconnecting', who: 'peer', peer, lost: status === 'lost' };
}

/** Where the link to one person stands, for their own tile in a group call. */
export type PeerStatus = 'connecting' | 'connected' | 'reconnecting' | 'lost' | 'unreachable';

/**
 * One peer's status by the rules the call state applies to a 1:1 call: a
 * link that never carried media is connecting, and unreachable after
 * NEVER_CONNECTED_MS; interrupted media is reconnecting, and lost once the
 * link failed or recovery has taken PEER_LOST_AFTER_MS. Anyone the server
 * lost is lost.
 */
export function peerStatus(peer: PeerView, now: number): PeerStatus {
  if (peer.link === 'connected') return 'connected';
  if (peer.presence === 'away') return 'lost';
  const { outage } = peer;
  if (!outage) return 'connecting';
  const boundPassed = now - outage.since >= OUTAGE_BOUND_MS[outage.kind];
  if (outage.kind === 'never-connected') return boundPassed ? 'unreachable' : 'connecting';
  return boundPassed || peer.link === 'failed' ? 'lost' : 'reconnecting';
}
