// A person in a call without a browser: our call engine (packages/client) in
// Node, with libwebrtc from @roamhq/wrtc, the `ws` WebSocket, a synthetic camera,
// and a frame counter on each remote video. Two cores render about five Chromium
// participants; these fill the seats of bigger rooms at a fraction of the CPU.
import { Call } from '@videoapp/client';
import WebSocket from 'ws';
import { FrameCounter, RTCPeerConnection, SyntheticCamera } from './wrtc-peer.ts';

/**
 * libwebrtc as @roamhq/wrtc wraps it predates the argument-less
 * setLocalDescription() that perfect negotiation uses: make the description
 * the signaling state calls for, as browsers do.
 */
class WrtcPeerConnection extends RTCPeerConnection {
  override async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
    if (description?.sdp || description?.type === 'rollback') return super.setLocalDescription(description as RTCSessionDescriptionInit);
    const answering = this.signalingState === 'have-remote-offer' || this.signalingState === 'have-local-pranswer';
    return super.setLocalDescription(answering ? await this.createAnswer() : await this.createOffer());
  }
}

/**
 * Every participant made, kept reachable until the process exits: libwebrtc as
 * @roamhq/wrtc wraps it may crash the process when the garbage collector
 * finalizes a closed connection (see wrtc-peer.ts).
 */
const neverCollected: NodeParticipant[] = [];

export class NodeParticipant {
  readonly call: Call;
  private readonly camera = new SyntheticCamera();
  /** Per person, a counter on each video track that has shown them (a track replaced, as when the call moves to the SFU, adds one). */
  private readonly frames = new Map<string, FrameCounter[]>();

  private constructor(serverUrl: string) {
    this.call = new Call({
      signalingUrl: `${serverUrl.replace(/^http/, 'ws')}/ws`,
      WebSocket: WebSocket as unknown as ConstructorParameters<typeof Call>[0]['WebSocket'],
      createPeerConnection: (config) => new WrtcPeerConnection(config) as unknown as RTCPeerConnection,
    });
    this.call.on('track', ({ peerId, track }) => {
      if (track.kind !== 'video') return;
      this.frames.set(peerId, [...(this.frames.get(peerId) ?? []), new FrameCounter(track)]);
    });
  }

  /** Joins `roomId` as `name`, sending the synthetic camera (no microphone). */
  static join(serverUrl: string, roomId: string, name: string): NodeParticipant {
    const participant = new NodeParticipant(serverUrl);
    neverCollected.push(participant);
    participant.call.join(roomId, name, { audio: null, video: participant.camera.track });
    return participant;
  }

  /** Frames decoded so far from `peerId`, on every track that carried them (0 before any). */
  framesFrom(peerId: string): number {
    return (this.frames.get(peerId) ?? []).reduce((sum, counter) => sum + counter.count, 0);
  }

  /** Frames decoded so far per person, by peer id. */
  framesByPeer(): Map<string, number> {
    return new Map([...this.frames.keys()].map((id) => [id, this.framesFrom(id)]));
  }

  leave(): void {
    this.call.leave('hang-up');
    for (const counter of [...this.frames.values()].flat()) counter.stop();
    this.frames.clear();
    this.camera.stop();
  }
}
