/**
 * What differs between browsers (and the Node WebRTC binding) that the
 * engine has to know about, in one place. Everything else is written against
 * the standard API.
 */

/** Which WebRTC implementation we run in, as far as it changes what we do. */
export type WebRtcFlavor = 'chromium' | 'firefox' | 'safari' | 'other';

export function detectFlavor(userAgent: string | undefined): WebRtcFlavor {
  if (!userAgent) return 'other';
  if (/Firefox\//.test(userAgent)) return 'firefox';
  if (/Chrom(e|ium)\//.test(userAgent)) return 'chromium';
  if (/Safari\//.test(userAgent)) return 'safari';
  return 'other';
}

/** The flavor of the environment we run in (Node has no navigator.userAgent worth reading). */
export function currentFlavor(): WebRtcFlavor {
  return detectFlavor(typeof navigator === 'undefined' ? undefined : navigator.userAgent);
}

/** One simulcast layer we publish: its RTP stream id, how much smaller than the camera, and its bitrate ceiling. */
export interface SimulcastLayer {
  rid: 'l' | 'm' | 'h';
  scaleResolutionDownBy: number;
  maxBitrate: number;
}

/**
 * The three layers a publisher sends to the SFU: full, half and quarter
 * resolution, highest first. Janus reads the rids of `a=simulcast:send` as
 * highest first unless told otherwise (its `rid_order` defaults to "hml"),
 * and a browser whose offer the far end answers without simulcast keeps only
 * the first encoding, which should then be the full picture. The bitrates are
 * what a 720p, 360p and 180p camera picture needs at 30 fps to look clean.
 */
export const SIMULCAST_LAYERS: readonly SimulcastLayer[] = [
  { rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
  { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
];

/**
 * The encodings to ask for, or undefined to publish one stream. Chromium
 * and Firefox both put the rids in the SDP in the order given (checked with
 * Chromium 156 and Firefox ESR 153; Firefox before 110 reversed them, which
 * is why janus.js once special-cased it). Safari's simulcast is behind a
 * flag and the Node binding has none: both send one stream.
 */
export function simulcastEncodings(flavor: WebRtcFlavor): RTCRtpEncodingParameters[] | undefined {
  if (flavor === 'chromium' || flavor === 'firefox') return SIMULCAST_LAYERS.map((layer) => ({ ...layer }));
  return undefined;
}

/**
 * Adds the publisher's video transceiver with simulcast where the browser
 * offers it. A browser that refuses the encodings (older ones throw on
 * `rid`) publishes one stream instead: a call with one layer beats no call.
 */
export function addPublishedVideo(pc: RTCPeerConnection, flavor: WebRtcFlavor): RTCRtpTransceiver {
  const sendEncodings = simulcastEncodings(flavor);
  if (sendEncodings) {
    try {
      return pc.addTransceiver('video', { direction: 'sendonly', sendEncodings });
    } catch (err) {
      console.warn('videoapp: simulcast refused, publishing one layer', err);
    }
  }
  return pc.addTransceiver('video', { direction: 'sendonly' });
}

/**
 * The m-line id of an inbound stream in a getStats report. Chromium and
 * Firefox report `mid` on inbound-rtp; older engines (and the Node binding)
 * only name the track, so the caller matches on `trackIdentifier` too.
 */
export function inboundMid(stat: Record<string, unknown>): string | undefined {
  return typeof stat.mid === 'string' ? stat.mid : undefined;
}

/**
 * The DTLS certificate fingerprints of a connected link, from its applied
 * descriptions: "sha-256 ab:cd:…" for ours and theirs. Firefox (ESR 153)
 * reports no `certificate` statistics and no certificate ids on its
 * `transport` entry, so there the descriptions are all there is. They are as
 * good once DTLS is up: the handshake succeeds only if the certificate the
 * other end presented hashes to the remote description's fingerprint, so a
 * substituted fingerprint in the relayed SDP is the certificate actually in use.
 */
export function fingerprintsFromDescriptions(pc: Pick<RTCPeerConnection, 'currentLocalDescription' | 'currentRemoteDescription'>): { local: string; remote: string } | undefined {
  const local = sdpFingerprint(pc.currentLocalDescription?.sdp);
  const remote = sdpFingerprint(pc.currentRemoteDescription?.sdp);
  return local && remote ? { local, remote } : undefined;
}

/** The first `a=fingerprint` of a description (with BUNDLE every m-section names the same certificate), preferring SHA-256 as the stats report it. */
function sdpFingerprint(sdp: string | undefined): string | undefined {
  const found = [...(sdp ?? '').matchAll(/^a=fingerprint:(\S+) (\S+)\s*$/gm)].map(([, algorithm, value]) => `${algorithm!.toLowerCase()} ${value!.toLowerCase()}`);
  return found.find((f) => f.startsWith('sha-256 ')) ?? found[0];
}

/**
 * How this browser lets us transform encoded media frames (for end-to-end
 * encryption through the SFU): the standard RTCRtpScriptTransform (Firefox,
 * Safari, Chromium from 141), or Chromium's older Insertable Streams
 * (createEncodedStreams, enabled per connection). Undefined where neither
 * exists (older browsers, the Node binding): such a participant cannot encrypt.
 */
export type FrameTransformApi = 'script-transform' | 'encoded-streams';

export function frameTransformApi(): FrameTransformApi | undefined {
  if (typeof globalThis.RTCRtpScriptTransform === 'function') return 'script-transform';
  const sender = (globalThis.RTCRtpSender as { prototype?: { createEncodedStreams?: unknown } } | undefined)?.prototype;
  if (typeof sender?.createEncodedStreams === 'function') return 'encoded-streams';
  return undefined;
}
