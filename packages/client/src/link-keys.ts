import { fingerprintsFromDescriptions } from './browser-quirks.ts';

/**
 * The keys that actually protect a mesh link: the DTLS certificate
 * fingerprints on each end, as "sha-256 ab:cd:…". A verification code is
 * derived from these; a man in the middle, who must terminate DTLS on both
 * sides with his own certificate, shows up as a different remote key on each.
 */
export interface LinkKeys {
  local: string;
  remote: string;
}

type Stat = Record<string, unknown> & { type: string; id: string };

/**
 * Reads the link's keys from getStats: the transport carrying media (DTLS
 * connected, with a selected candidate pair) names its local and remote
 * certificate, whose statistics carry the fingerprint the browser computed
 * from the certificate itself, not from anything signaling said. Undefined
 * until DTLS is up on some transport.
 */
export function keysFromStats(report: RTCStatsReport): LinkKeys | undefined {
  const byId = new Map<string, Stat>();
  report.forEach((s: Stat) => {
    byId.set(s.id, s);
  });
  const transport = [...byId.values()].find((s) => s.type === 'transport' && s.dtlsState === 'connected' && typeof s.localCertificateId === 'string' && typeof s.remoteCertificateId === 'string');
  if (!transport) return undefined;
  const local = certificateKey(byId.get(transport.localCertificateId as string));
  const remote = certificateKey(byId.get(transport.remoteCertificateId as string));
  return local && remote ? { local, remote } : undefined;
}

function certificateKey(stat: Stat | undefined): string | undefined {
  if (stat?.type !== 'certificate' || typeof stat.fingerprint !== 'string' || typeof stat.fingerprintAlgorithm !== 'string') return undefined;
  return `${stat.fingerprintAlgorithm.toLowerCase()} ${stat.fingerprint.toLowerCase()}`;
}

/** Whether a report shows DTLS up on some transport, whatever it says of certificates. */
function dtlsConnected(report: RTCStatsReport): boolean {
  let connected = false;
  report.forEach((s: Stat) => {
    if (s.type === 'transport' && s.dtlsState === 'connected') connected = true;
  });
  return connected;
}

/**
 * The keys of a connected link: from its certificate statistics where the
 * browser reports them (Chromium, libwebrtc), else, once DTLS is up, from
 * the descriptions it verified the handshake against (Firefox; see
 * browser-quirks.ts). Undefined while DTLS is not up.
 */
export async function readLinkKeys(pc: RTCPeerConnection): Promise<LinkKeys | undefined> {
  const report = await pc.getStats();
  return keysFromStats(report) ?? (dtlsConnected(report) ? fingerprintsFromDescriptions(pc) : undefined);
}
