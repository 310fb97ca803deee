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
 * The three layers a publisher sends to the SFU: quarter, half and full
 * resolution. The bitrates are what a 180p, 360p and 720p camera picture
 * needs at 30 fps to look clean (the usual Janus/LiveKit defaults).
 */
export const SIMULCAST_LAYERS: readonly SimulcastLayer[] = [
  { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

/**
 * The encodings to ask for, in the order this browser wants them. Chromium
 * takes them lowest first (its SDP then lists `a=simulcast:send l;m;h`, the
 * order Janus reads as substreams 0, 1, 2). Firefox before version 110 put
 * the first encoding last in its SDP, so it is given the list highest first
 * to come out in the same order on the wire. Safari's simulcast is behind a
 * flag and the Node binding has none: both send one stream.
 */
export function simulcastEncodings(flavor: WebRtcFlavor): RTCRtpEncodingParameters[] | undefined {
  const layers = SIMULCAST_LAYERS.map((layer) => ({ ...layer }));
  if (flavor === 'chromium') return layers;
  if (flavor === 'firefox') return layers.reverse();
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
