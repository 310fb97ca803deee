import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MEDIA_STALL_MS, MEDIA_WATCH_MS } from './media-stall.ts';
import { type LinkState, PeerLink } from './peer-link.ts';
import { FakePeerConnection } from './testing/fake-peer-connection.ts';

/** A connection whose received bytes the test moves, and whose video sender remembers every `active` it was given. */
class WatchedPeerConnection extends FakePeerConnection {
  bytes = 0;
  readonly activeHistory: boolean[] = [];
  private encodings: RTCRtpEncodingParameters[] = [{ active: true }];

  override addTransceiver(kind: string) {
    const transceiver = super.addTransceiver(kind);
    if (kind !== 'video') return transceiver;
    const sender = {
      ...transceiver.sender,
      getParameters: () => ({ encodings: this.encodings.map((e) => ({ ...e })) }),
      setParameters: async (parameters: { encodings: RTCRtpEncodingParameters[] }) => {
        this.encodings = parameters.encodings;
        this.activeHistory.push(parameters.encodings[0]!.active !== false);
      },
    };
    return { ...transceiver, sender };
  }

  override getStats(): Promise<Map<string, unknown>> {
    return Promise.resolve(new Map([['P', { type: 'candidate-pair', bytesReceived: this.bytes }]]));
  }
}

test('a stalled link pauses the video it sends, and resumes it (with a key frame) once bytes arrive again', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'] });
  const pc = new WatchedPeerConnection();
  const link = new PeerLink({
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
    iceServers: [],
    polite: false,
    initiator: true,
    localTracks: {},
  });
  const states: LinkState[] = [];
  link.on('state', (s) => states.push(s));
  let moving = true;
  const advance = async (ms: number) => {
    for (let elapsed = 0; elapsed < ms; elapsed += MEDIA_WATCH_MS / 5) {
      if (moving) pc.bytes += 1_000;
      t.mock.timers.tick(MEDIA_WATCH_MS / 5);
      // Let each reading's awaited statistics and the sender's parameter chain settle.
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
  };
  pc.moveTo('connected');
  await advance(2 * MEDIA_WATCH_MS);
  assert.deepEqual(pc.activeHistory, [], 'a flowing link keeps its video as it is');

  moving = false;
  await advance(MEDIA_STALL_MS + 2 * MEDIA_WATCH_MS);
  assert.deepEqual(states, ['connected', 'unstable']);
  assert.deepEqual(pc.activeHistory, [false], 'paused while nothing arrives');

  moving = true;
  await advance(MEDIA_WATCH_MS);
  assert.deepEqual(states, ['connected', 'unstable', 'connected']);
  assert.deepEqual(pc.activeHistory, [false, true], 'resumed once bytes arrive');
  link.close();
});
