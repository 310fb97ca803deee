/**
 * How the load generator speaks to each server. Every side carries the same
 * payload, an offer-sized session description (`OFFER_SDP`, about 1.4 KB of
 * SDP text, ~1.5 KB per frame), in that server's own envelope:
 *
 * - videoapp: `{"type":"description","seq":N,"ack":A,"to":…,"description":{"type":"offer","sdp":…}}`,
 *   numbered and acknowledging as our client sends it (generator.ts adds `seq`
 *   and `ack`), after `hello` and `join` into a room created through `POST /api/rooms`;
 *   the server answers heartbeat pings, which the generator answers with `pong`
 *   (a real client does, and the server drops sockets that do not).
 * - peerjs: `{"type":"OFFER","dst":…,"payload":{"sdp":{"type":"offer","sdp":…},"type":"media","connectionId":…}}`,
 *   the shape the `peerjs` client sends, after the server's `OPEN`.
 * - bare: the same bytes as VideoApp's, relayed by bench/signaling/bare-relay.ts.
 *
 * The send time rides inside the SDP's origin line (`o=- <µs> 2 IN IP4 …`), so
 * the generator times a relay without parsing JSON, keeping its own cost low.
 */
import { request } from 'node:http';

export type WireKind = 'videoapp' | 'peerjs' | 'bare' | 'bare-raw';

const STAMP = '__STAMP__';

/** A plausible Chrome audio+video offer, trimmed to about 1.4 KB. */
export const OFFER_SDP = [
  'v=0',
  `o=- ${STAMP} 2 IN IP4 127.0.0.1`,
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS 6f1c0e4e-3b1a-4c57-9a55-0d3b1f2e9c11',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Yx3q',
  'a=ice-pwd:QhW3b1nq0m7zP5k2Lr8sT4vU',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 4B:1F:0E:9A:52:7C:D3:66:81:2E:B0:7F:13:C4:9D:A5:E2:38:60:1B:F7:4C:8E:25:D9:6A:03:B1:7E:C8:52:F4',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=sendrecv',
  'a=msid:6f1c0e4e-3b1a-4c57-9a55-0d3b1f2e9c11 a1b2c3d4-e5f6-4711-8899-aabbccddeeff',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=ssrc:2401376161 cname:kQ3pW8xZ1vN5mB7c',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Yx3q',
  'a=ice-pwd:QhW3b1nq0m7zP5k2Lr8sT4vU',
  'a=ice-options:trickle',
  'a=setup:actpass',
  'a=mid:1',
  'a=extmap:14 urn:ietf:params:rtp-hdrext:toffset',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 goog-remb',
  'a=rtcp-fb:96 transport-cc',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'a=ssrc-group:FID 1734215611 3318421312',
  'a=ssrc:1734215611 cname:kQ3pW8xZ1vN5mB7c',
  'a=ssrc:3318421312 cname:kQ3pW8xZ1vN5mB7c',
  '',
].join('\r\n');

/** What the generator finds in a relayed frame to read the send time back. */
export const STAMP_MARKER = 'o=- ';

/** A frame template split around the send time: `head + µs + tail`. */
export interface FrameTemplate {
  head: string;
  tail: string;
}

function split(envelope: unknown): FrameTemplate {
  const [head, tail] = JSON.stringify(envelope).split(STAMP) as [string, string];
  return { head, tail };
}

export function frameTemplate(kind: WireKind, to: string): FrameTemplate {
  const description = { type: 'offer', sdp: OFFER_SDP };
  if (kind === 'peerjs') return split({ type: 'OFFER', dst: to, payload: { sdp: description, type: 'media', connectionId: 'mc_k2v9x0q7w3e8r1t5' } });
  return split({ type: 'description', to, description });
}

/** Reads the µs send time out of a relayed frame, or -1 if the frame is not a relayed offer. */
export function readStamp(frame: Buffer): number {
  const at = frame.indexOf(STAMP_MARKER);
  if (at < 0) return -1;
  let value = 0;
  for (let i = at + STAMP_MARKER.length; i < frame.length; i++) {
    const digit = frame[i]! - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value;
}

/** Creates a VideoApp room the way the web app does, from the given source address. */
export function createVideoAppRoom(port: number, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/rooms', method: 'POST', localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => (res.statusCode === 201 ? resolve((JSON.parse(body) as { roomId: string }).roomId) : reject(new Error(`create room: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Clients are spread over loopback source addresses (127.77.x.y, 50 per
 * address), so VideoApp's per-address limits (64 sockets, 60 joins and 30
 * rooms a minute) hold as shipped instead of being raised for the benchmark.
 */
export const CLIENTS_PER_SOURCE_ADDRESS = 50;
export function sourceAddress(clientIndex: number): string {
  const block = Math.floor(clientIndex / CLIENTS_PER_SOURCE_ADDRESS);
  return `127.77.${Math.floor(block / 200)}.${(block % 200) + 1}`;
}
