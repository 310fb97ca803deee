import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fingerprintsFromDescriptions } from './browser-quirks.ts';
import { keysFromStats, readLinkKeys } from './link-keys.ts';

const OURS = 'B5:9C:9F:80:EE:2B:D9:E8:96:DD:C6:5C:7F:8F:5D:5B:0C:2F:7F:3A:2B:3D:72:15:A3:C5:06:28:A6:09:52:BB';
const THEIRS = 'AF:33:37:40:3F:29:4D:F2:F4:A0:6B:32:68:1C:46:F2:FE:5E:0B:93:24:A6:5B:62:3E:F1:4E:1A:8B:F8:15:2D';

function report(stats: Record<string, unknown>[]): RTCStatsReport {
  return new Map(stats.map((s) => [s.id as string, s])) as unknown as RTCStatsReport;
}

/** What Chromium 156 reports for a connected link (trimmed to the fields that matter). */
const chromiumStats = [
  { id: 'CF-ours', type: 'certificate', fingerprint: OURS, fingerprintAlgorithm: 'sha-256' },
  { id: 'CF-theirs', type: 'certificate', fingerprint: THEIRS, fingerprintAlgorithm: 'sha-256' },
  { id: 'T01', type: 'transport', dtlsState: 'connected', selectedCandidatePairId: 'CP1', localCertificateId: 'CF-ours', remoteCertificateId: 'CF-theirs' },
];
/** What Firefox ESR 153 reports: a transport with no certificate ids, and no certificate entries at all. */
const firefoxStats = [{ id: '2aed836', type: 'transport', dtlsState: 'connected', selectedCandidatePairId: '1fd3b8be' }];

const sdp = (fingerprint: string) => `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:sha-256 ${fingerprint}\r\na=setup:actpass\r\n`;

test('the keys are the certificates the selected transport names, as fingerprints the browser computed', () => {
  assert.deepEqual(keysFromStats(report(chromiumStats)), { local: `sha-256 ${OURS.toLowerCase()}`, remote: `sha-256 ${THEIRS.toLowerCase()}` });
});

test('no keys before DTLS is up, or when a certificate entry is missing', () => {
  assert.equal(keysFromStats(report(chromiumStats.map((s) => (s.type === 'transport' ? { ...s, dtlsState: 'connecting' } : s)))), undefined);
  assert.equal(keysFromStats(report(chromiumStats.filter((s) => s.id !== 'CF-theirs'))), undefined);
  assert.equal(keysFromStats(report(firefoxStats)), undefined);
});

test('where the stats name no certificates (Firefox), a connected link takes them from the descriptions DTLS was checked against', async () => {
  const pc = { getStats: async () => report(firefoxStats), currentLocalDescription: { sdp: sdp(OURS) }, currentRemoteDescription: { sdp: sdp(THEIRS) } } as unknown as RTCPeerConnection;
  assert.deepEqual(await readLinkKeys(pc), { local: `sha-256 ${OURS.toLowerCase()}`, remote: `sha-256 ${THEIRS.toLowerCase()}` });
  const connecting = { ...pc, getStats: async () => report([{ ...firefoxStats[0], dtlsState: 'connecting' }]) } as unknown as RTCPeerConnection;
  assert.equal(await readLinkKeys(connecting), undefined);
});

test('the statistics win over the descriptions when both are there', async () => {
  const pc = { getStats: async () => report(chromiumStats), currentLocalDescription: { sdp: sdp('00:11') }, currentRemoteDescription: { sdp: sdp('22:33') } } as unknown as RTCPeerConnection;
  assert.equal((await readLinkKeys(pc))?.remote, `sha-256 ${THEIRS.toLowerCase()}`);
});

test('a description naming several fingerprints gives its SHA-256 one, whatever comes first', () => {
  const both = sdp(THEIRS).replace('a=fingerprint:', 'a=fingerprint:sha-1 01:02:03\r\na=fingerprint:');
  assert.equal(fingerprintsFromDescriptions({ currentLocalDescription: { sdp: sdp(OURS) }, currentRemoteDescription: { sdp: both } } as RTCPeerConnection)?.remote, `sha-256 ${THEIRS.toLowerCase()}`);
  assert.equal(fingerprintsFromDescriptions({ currentLocalDescription: { sdp: sdp(OURS) }, currentRemoteDescription: null } as RTCPeerConnection), undefined);
});
