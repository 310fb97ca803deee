// A headless participant of an SFU room: our protocol over a real WebSocket,
// one publishing and one subscribing Node WebRTC connection to Janus through
// our server, and frames counted per person as they decode.
import { type MessageOf, PROTOCOL_VERSION, type ServerMessage, type SfuStreamInfo } from '@videoapp/protocol';
import { FrameCounter, RTCPeerConnection, SyntheticCamera, SyntheticMicrophone } from './wrtc-peer.ts';
import { WsTestClient } from './ws-client.ts';

/**
 * Three simulcast layers (full, 1/2, 1/4), highest first: Janus 1.1 takes the
 * first rid for its substream 2 (the order janus.js sends, h-m-l), so a
 * low-first list would turn `low` and `high` around.
 */
const SIMULCAST_ENCODINGS = [
  { rid: 'h', scaleResolutionDownBy: 1 },
  { rid: 'm', scaleResolutionDownBy: 2 },
  { rid: 'l', scaleResolutionDownBy: 4 },
];
/** The picture a simulcast publisher sends: big enough for libwebrtc to send all three layers. */
export const SIMULCAST_SIZE = { width: 640, height: 360 } as const;

/** How often the offer pump looks for a new socket while the old one is closed. */
const SOCKET_RETRY_MS = 50;

export class SfuPeer {
  id = '';
  /** The token to resume this session with (from `joined`, kept fresh by `resumed`). */
  resumeToken = '';
  private seq = 0;
  private camera: SyntheticCamera | undefined;
  private microphone: SyntheticMicrophone | undefined;
  private publisher: InstanceType<typeof RTCPeerConnection> | undefined;
  private subscriber: InstanceType<typeof RTCPeerConnection> | undefined;
  /** Whose media each m-line of the subscriber connection carries, as the latest offer said. */
  private streams = new Map<string, SfuStreamInfo>();
  private readonly counters = new Map<string, FrameCounter>();
  private pumping = true;
  offers = 0;
  /** The latest `sfu-offer`, as received. */
  lastOffer: MessageOf<ServerMessage, 'sfu-offer'> | undefined;

  private constructor(public client: WsTestClient) {}

  static async join(serverUrl: string, roomId: string, name: string): Promise<{ peer: SfuPeer; joined: MessageOf<ServerMessage, 'joined'> }> {
    const peer = new SfuPeer(await WsTestClient.greeted(serverUrl));
    peer.client.send({ type: 'join', roomId, name });
    const joined = await peer.client.next('joined');
    peer.id = joined.selfId;
    peer.resumeToken = joined.resumeToken;
    void peer.answerOffers();
    return { peer, joined };
  }

  /**
   * The signaling socket is gone (its server process died): a new one to
   * `serverUrl` resumes the session with the resume token and the last number
   * received, as the engine does. Media connections are left as they are.
   */
  async resumeOn(serverUrl: string): Promise<MessageOf<ServerMessage, 'resumed'>> {
    const lastSeq = this.client.lastSeq;
    this.client.close();
    const client = await WsTestClient.open(serverUrl);
    // Frames re-sent after `resumed` continue the numbering the old socket reached.
    client.lastSeq = lastSeq;
    client.send({ type: 'hello', version: PROTOCOL_VERSION, resume: this.resumeToken, lastSeq });
    await client.next('welcome');
    const resumed = await client.next('resumed');
    this.client = client;
    this.resumeToken = resumed.resumeToken;
    return resumed;
  }

  /** Publishes a synthetic camera (simulcast if asked, and a microphone that talks all the time if asked) through the server; resolves once the SFU answered. */
  async publish(simulcast = false, talking = false): Promise<void> {
    this.closePublisher();
    this.camera = simulcast ? new SyntheticCamera(SIMULCAST_SIZE.width, SIMULCAST_SIZE.height) : new SyntheticCamera();
    const pc = new RTCPeerConnection();
    this.publisher = pc;
    if (talking) {
      this.microphone = new SyntheticMicrophone();
      pc.addTransceiver(this.microphone.track, { direction: 'sendonly' });
    }
    pc.addTransceiver(this.camera.track, { direction: 'sendonly', ...(simulcast ? { sendEncodings: SIMULCAST_ENCODINGS } : {}) });
    pc.onicecandidate = ({ candidate }) => {
      if (candidate?.candidate)
        this.client.send({
          type: 'sfu-candidate',
          connection: 'publish',
          candidate: { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? undefined, sdpMLineIndex: candidate.sdpMLineIndex ?? undefined },
        });
    };
    await pc.setLocalDescription(await pc.createOffer());
    this.client.send({ type: 'sfu-publish', sdp: pc.localDescription!.sdp, seq: ++this.seq });
    const answer = await this.client.next('sfu-answer', 15_000);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  }

  /** Answers every `sfu-offer` on one subscriber connection (a fresh one after `renewSubscriber`). */
  private async answerOffers(): Promise<void> {
    while (this.pumping) {
      let offer: MessageOf<ServerMessage, 'sfu-offer'>;
      try {
        offer = await this.client.next('sfu-offer', 1_000);
      } catch {
        // A closed socket rejects at once: wait for `resumeOn` to bring a new one rather than spin.
        if (this.client.closed) await new Promise((resolve) => setTimeout(resolve, SOCKET_RETRY_MS));
        continue;
      }
      // Closed while waiting: a connection made now would never be closed, and would keep the test process alive.
      if (!this.pumping) return;
      this.offers++;
      this.lastOffer = offer;
      const pc = this.subscriber ?? this.newSubscriber();
      this.streams = new Map(offer.streams.map((s) => [s.mid, s]));
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      this.client.send({ type: 'sfu-subscribe-answer', sdp: pc.localDescription!.sdp, seq: ++this.seq });
    }
  }

  private newSubscriber(): InstanceType<typeof RTCPeerConnection> {
    const pc = new RTCPeerConnection();
    this.subscriber = pc;
    pc.ontrack = ({ track, transceiver }) => {
      if (track.kind === 'video' && transceiver.mid) {
        this.counters.get(transceiver.mid)?.stop();
        this.counters.set(transceiver.mid, new FrameCounter(track));
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate?.candidate) this.client.send({ type: 'sfu-candidate', connection: 'subscribe', candidate: { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? undefined } });
    };
    return pc;
  }

  /** After `sfu-reset`: the next offer starts a new subscriber connection. */
  renewSubscriber(): void {
    this.subscriber?.close();
    this.subscriber = undefined;
    for (const counter of this.counters.values()) counter.stop();
    this.counters.clear();
    this.streams.clear();
  }

  /** Asks for an ICE restart of the subscriber connection; the new offer is answered like any other. */
  restartSubscriberIce(): void {
    this.client.send({ type: 'sfu-subscribe-restart', seq: ++this.seq });
  }

  /** The subscriber connection's ICE state ('new' before any offer). */
  get subscriberIceState(): string {
    return this.subscriber?.iceConnectionState ?? 'new';
  }

  /** People the latest offer carries video of. */
  videoFrom(): string[] {
    return [...this.streams.values()].filter((s) => s.kind === 'video').map((s) => s.peerId);
  }

  /** The frame counter of `peerId`'s video, per the latest offer. */
  framesOf(peerId: string): FrameCounter | undefined {
    const stream = [...this.streams.values()].find((s) => s.kind === 'video' && s.peerId === peerId);
    return stream && this.counters.get(stream.mid);
  }

  frameCount(peerId: string): number {
    return this.framesOf(peerId)?.count ?? 0;
  }

  /** Frames of `peerId` decoded so far that show the test gradient their camera sends (see showsTestGradient). */
  gradientCount(peerId: string): number {
    return this.framesOf(peerId)?.gradients ?? 0;
  }

  /** Video bytes the subscriber connection has received, decodable or not (0 before any offer). */
  async videoBytesReceived(): Promise<number> {
    let bytes = 0;
    (await this.subscriber?.getStats())?.forEach((stat: Record<string, unknown>) => {
      if (stat.type === 'inbound-rtp' && (stat.kind ?? stat.mediaType) === 'video') bytes += (stat.bytesReceived as number | undefined) ?? 0;
    });
    return bytes;
  }

  private closePublisher(): void {
    this.camera?.stop();
    this.microphone?.stop();
    this.microphone = undefined;
    this.publisher?.close();
    this.publisher = undefined;
  }

  close(): void {
    this.pumping = false;
    this.closePublisher();
    this.renewSubscriber();
    this.client.close();
  }
}
