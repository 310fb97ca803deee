// A man in the middle of a mesh call, for tests only: it stands between two
// browsers and the real server (serving the app through to them, and their
// signaling sockets), takes the `description` and `candidate` messages the
// two address to each other, and answers each browser with a Node WebRTC
// peer of its own that pretends to be the other person. DTLS ends in those
// Node peers, each with its own certificate; the media one receives, the
// other sends on, so both browsers see and hear each other as if nothing
// stood between them. The app's verification code is what must give it away.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PEER_CHANNEL_ID } from '@videoapp/client';
import type { IceCandidate, SessionDescription } from '@videoapp/protocol';
import WebSocket, { WebSocketServer } from 'ws';
import { RTCPeerConnection } from './wrtc-peer.ts';

type Kind = 'audio' | 'video';
type Frame = Record<string, unknown> & { type: string };

/** Kept reachable until the process exits: libwebrtc may crash when a closed connection is finalized (see wrtc-peer.ts). */
const neverCollected: RTCPeerConnection[] = [];

/**
 * One Node peer facing one browser as if it were the other person: answers
 * or opens the negotiation, and sends on whatever media the Node peer facing
 * the other browser receives.
 */
class Impostor {
  readonly pc = new RTCPeerConnection({ iceServers: [] });
  /** The tracks to send, once the other impostor receives them. */
  private readonly outgoing: Partial<Record<Kind, MediaStreamTrack>> = {};
  /** Descriptions and candidates are applied one after another, in the order the browser sent them. */
  private queue: Promise<void> = Promise.resolve();
  onTrack: (kind: Kind, track: MediaStreamTrack) => void = () => {};

  constructor(private readonly toBrowser: (frame: Frame) => void) {
    neverCollected.push(this.pc);
    this.pc.onicecandidate = ({ candidate }) => {
      if (!candidate?.candidate) return;
      const init: IceCandidate = { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? undefined, sdpMLineIndex: candidate.sdpMLineIndex ?? undefined };
      this.toBrowser({ type: 'candidate', candidate: init });
    };
    this.pc.ontrack = ({ track }) => this.onTrack(track.kind as Kind, track);
    // The app opens its chat channel pre-negotiated on a fixed id: so does the impostor, and the first offer carries it.
    this.pc.createDataChannel('chat', { negotiated: true, id: PEER_CHANNEL_ID });
  }

  /** Opens the negotiation, as the person already in the room does when a newcomer arrives. */
  offer(): void {
    for (const kind of ['audio', 'video'] as const) this.pc.addTransceiver(kind, { direction: 'sendrecv' });
    this.sendOutgoing();
    this.run(async () => {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      this.sendDescription();
    });
  }

  description(description: SessionDescription): void {
    this.run(async () => {
      await this.pc.setRemoteDescription(description);
      if (description.type !== 'offer') return;
      for (const transceiver of this.pc.getTransceivers()) transceiver.direction = 'sendrecv';
      this.sendOutgoing();
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      this.sendDescription();
    });
  }

  candidate(candidate: IceCandidate): void {
    this.run(() => this.pc.addIceCandidate(candidate));
  }

  /** Sends `track` to the browser from now on. */
  send(kind: Kind, track: MediaStreamTrack): void {
    this.outgoing[kind] = track;
    this.sendOutgoing();
  }

  close(): void {
    this.pc.onicecandidate = this.pc.ontrack = null;
    this.pc.close();
  }

  private sendOutgoing(): void {
    for (const transceiver of this.pc.getTransceivers()) {
      const track = this.outgoing[transceiver.receiver.track.kind as Kind];
      if (track && transceiver.sender.track !== track) void transceiver.sender.replaceTrack(track);
    }
  }

  private sendDescription(): void {
    const local = this.pc.localDescription!;
    this.toBrowser({ type: 'description', description: { type: local.type as SessionDescription['type'], sdp: local.sdp } });
  }

  private run(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((err: unknown) => console.error('dtls-interceptor:', err));
  }
}

/** One browser's signaling socket through the interceptor, and the impostor that faces it. */
class Side {
  selfId: string | undefined;
  otherId: string | undefined;
  impostor: Impostor | undefined;

  constructor(readonly browser: WebSocket) {}

  /** A frame to the browser as if the server relayed it from the other person (unnumbered, so it needs no place in the numbering). */
  fromOther(frame: Frame): void {
    this.browser.send(JSON.stringify({ ...frame, from: this.otherId }));
  }
}

export class DtlsInterceptor {
  private readonly sides: Side[] = [];
  private readonly http: http.Server;
  private readonly sockets = new WebSocketServer({ noServer: true });
  /** Browser signals taken out of the server's path so far: proof the interceptor stood in between. */
  intercepted = 0;

  private constructor(private readonly target: URL) {
    this.http = http.createServer((req, res) => this.forwardRequest(req, res));
    this.http.on('upgrade', (req, socket, head) => this.sockets.handleUpgrade(req, socket, head, (ws) => this.onBrowserSocket(ws)));
  }

  /** Starts the interceptor in front of the server at `serverUrl`; the app is to be opened at the returned instance's `url`. */
  static async start(serverUrl: string): Promise<DtlsInterceptor> {
    const interceptor = new DtlsInterceptor(new URL(serverUrl));
    await new Promise<void>((resolve) => interceptor.http.listen(0, '127.0.0.1', resolve));
    return interceptor;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  /** Whether both browsers are connected to an impostor: DTLS ends in the middle on both sides. */
  get bothTerminated(): boolean {
    return this.sides.length === 2 && this.sides.every((side) => side.impostor?.pc.connectionState === 'connected');
  }

  async close(): Promise<void> {
    for (const side of this.sides) side.impostor?.close();
    for (const ws of this.sockets.clients) ws.terminate();
    this.http.closeAllConnections();
    await new Promise((resolve) => this.http.close(resolve));
  }

  private forwardRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers = { ...req.headers, host: this.target.host, ...(req.headers.origin ? { origin: this.target.origin } : {}) };
    const upstream = http.request(new URL(req.url ?? '/', this.target), { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  private onBrowserSocket(browser: WebSocket): void {
    const side = new Side(browser);
    this.sides.push(side);
    const server = new WebSocket(new URL('/ws', this.target.href.replace(/^http/, 'ws')), { origin: this.target.origin });
    const early: string[] = [];
    server.on('open', () => {
      for (const frame of early.splice(0)) server.send(frame);
    });
    browser.on('message', (data) => {
      const frame = this.fromBrowser(side, String(data));
      if (frame === undefined) return;
      if (server.readyState === WebSocket.OPEN) server.send(frame);
      else early.push(frame);
    });
    server.on('message', (data) => {
      const text = String(data);
      this.fromServer(side, JSON.parse(text) as Frame);
      browser.send(text);
      if (side.impostor === undefined && side.selfId && side.otherId) this.impersonate(side);
    });
    browser.on('close', () => server.close());
    server.on('close', () => browser.close());
  }

  /** What the server learns of a browser's frame: its signals to the other person go to its impostor instead (their acknowledgement still goes through). */
  private fromBrowser(side: Side, text: string): string | undefined {
    const frame = JSON.parse(text) as Frame;
    if (frame.type !== 'description' && frame.type !== 'candidate') return text;
    this.intercepted++;
    const impostor = side.impostor ?? this.impersonate(side);
    if (frame.type === 'description') impostor.description(frame.description as SessionDescription);
    else impostor.candidate(frame.candidate as IceCandidate);
    return typeof frame.ack === 'number' ? JSON.stringify({ type: 'ack', seq: frame.ack }) : undefined;
  }

  /** Learns who is who from what the server says; as a browser joins, the impostor in front of it opens the negotiation, as the one already there would. */
  private fromServer(side: Side, frame: Frame): void {
    if (frame.type === 'joined') {
      side.selfId = frame.selfId as string;
      side.otherId = (frame.peers as { id: string }[])[0]?.id;
      // Sent on after this frame, so the browser knows the other person before their offer arrives.
      if (side.otherId !== undefined) queueMicrotask(() => (side.impostor ?? this.impersonate(side)).offer());
    }
    if (frame.type === 'peer-joined') side.otherId = (frame.peer as { id: string }).id;
  }

  /** Puts a Node peer in front of `side`, and links its media with the one in front of the other browser. */
  private impersonate(side: Side): Impostor {
    const impostor = new Impostor((frame) => side.fromOther(frame));
    side.impostor = impostor;
    impostor.onTrack = (kind, track) => this.sides.find((other) => other !== side)?.impostor?.send(kind, track);
    const other = this.sides.find((s) => s !== side)?.impostor;
    // Whatever the other impostor already receives, this one sends on.
    for (const receiver of other?.pc.getReceivers() ?? []) if (receiver.track.readyState === 'live') impostor.send(receiver.track.kind as Kind, receiver.track);
    return impostor;
  }
}
