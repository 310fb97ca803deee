// The verification code through the engine: a fake socket plays the server, a
// fake peer connection reports the certificates a browser's getStats would.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { PROTOCOL_VERSION } from '@videoapp/protocol';
import type { Call, PeerView } from './call.ts';
import { deriveVerificationCode, type Verification } from './index.ts';
import type { TrustedKeys } from './mesh-verification.ts';
import { FakePeerConnection } from './testing/fake-peer-connection.ts';
import { callOverFakeSocket } from './testing/fake-socket.ts';

const ROOM_ID = '0123-4567-89ab-cdef';
const OURS = 'sha-256 aa:aa';
const ADAS = 'sha-256 ad:ad';
const ADAS_NEW = 'sha-256 ad:00';

/** Just enough of an RTCPeerConnection for a PeerLink, whose getStats names the certificates in `remote`/`local`. */
class CertifiedPeerConnection extends FakePeerConnection {
  remote = ADAS;
  override getStats() {
    // As Chromium reports them: the algorithm apart, the fingerprint in capitals.
    const certificate = (id: string, key: string) => ({ id, type: 'certificate', fingerprintAlgorithm: key.split(' ')[0], fingerprint: key.split(' ')[1]!.toUpperCase() });
    const stats = [
      certificate('local', OURS),
      certificate('remote', this.remote),
      { id: 'T', type: 'transport', dtlsState: this.connectionState === 'connected' ? 'connected' : 'connecting', localCertificateId: 'local', remoteCertificateId: 'remote' },
    ];
    return Promise.resolve(new Map<string, unknown>(stats.map((s) => [s.id, s])));
  }
}

function callWithAda(t: TestContext, trustedKeys?: TrustedKeys): { call: Call; pc: CertifiedPeerConnection } {
  let pc: CertifiedPeerConnection | undefined;
  const { call, socket: current } = callOverFakeSocket(
    () => {
      pc = new CertifiedPeerConnection();
      return pc;
    },
    undefined,
    { trustedKeys },
  );
  call.join(ROOM_ID, 'Me', {});
  const socket = current();
  socket.open();
  socket.receive({ type: 'welcome', version: PROTOCOL_VERSION, heartbeatMs: 600_000 });
  socket.receive({ type: 'joined', roomId: ROOM_ID, selfId: 'me1', peers: [{ id: 'ada1', name: 'Ada' }], resumeToken: 'abcdefghijklmnop.qrstuv', iceServers: [] });
  t.after(() => call.leave());
  return { call, pc: pc! };
}

/** The next verification Ada's participant shows that differs from `previous`. */
function nextVerification(call: Call, previous?: Verification): Promise<Verification | undefined> {
  return new Promise((resolve) => {
    const off = call.on('peer-updated', (peer: PeerView) => {
      if (peer.verification?.code === previous?.code && peer.verification?.verifiedBefore === previous?.verifiedBefore) return;
      off();
      resolve(peer.verification);
    });
  });
}

test('a connected mesh link gives its person a code from the certificates in its statistics, and a new one after a reconnection with a new certificate', { timeout: 10_000 }, async (t) => {
  const { call, pc } = callWithAda(t);
  assert.equal(call.participants()[0]?.verification, undefined, 'no code before the link connects');
  const first = nextVerification(call);
  pc.moveTo('connected');
  const shown = await first;
  assert.deepEqual(shown, { code: await deriveVerificationCode(OURS, ADAS, ROOM_ID), basis: 'dtls', verifiedBefore: false });

  // An ICE restart that ends with another certificate on Ada's side (say, a renegotiated DTLS): the code follows.
  pc.remote = ADAS_NEW;
  const second = nextVerification(call, shown);
  pc.moveTo('disconnected');
  pc.moveTo('connected');
  assert.equal((await second)?.code, await deriveVerificationCode(OURS, ADAS_NEW, ROOM_ID));
});

test("marking remembers the other side's fingerprint; a later call with the same certificate shows it as verified before", { timeout: 10_000 }, async (t) => {
  const trusted = new Set<string>();
  const keys: TrustedKeys = { has: (key) => trusted.has(key), add: (key) => void trusted.add(key) };
  const first = callWithAda(t, keys);
  assert.equal(first.call.markVerified('ada1'), false, 'nothing to mark before the link is up');
  const shown = nextVerification(first.call);
  first.pc.moveTo('connected');
  assert.equal((await shown)?.verifiedBefore, false);
  assert.equal(first.call.markVerified('ada1'), true);
  assert.deepEqual([...trusted], [ADAS]);

  const later = callWithAda(t, keys);
  const again = nextVerification(later.call);
  later.pc.moveTo('connected');
  assert.equal((await again)?.verifiedBefore, true);
});
