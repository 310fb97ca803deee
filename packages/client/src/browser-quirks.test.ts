import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addPublishedVideo, detectFlavor, SIMULCAST_LAYERS, simulcastEncodings } from './browser-quirks.ts';

test('the flavor comes from the user agent (Chromium-based Edge is Chromium; Safari names no Chrome)', () => {
  assert.equal(detectFlavor('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'), 'chromium');
  assert.equal(detectFlavor('Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36 Edg/156.0'), 'chromium');
  assert.equal(detectFlavor('Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0'), 'firefox');
  assert.equal(detectFlavor('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1'), 'safari');
  assert.equal(detectFlavor(undefined), 'other');
});

test('three layers highest first, as Janus reads them, each smaller and cheaper than the one before', () => {
  const layers = simulcastEncodings('chromium')!;
  assert.deepEqual(
    layers.map((l) => l.rid),
    ['h', 'm', 'l'],
  );
  assert.deepEqual(simulcastEncodings('firefox'), layers);
  for (let i = 1; i < SIMULCAST_LAYERS.length; i++) {
    assert.ok(SIMULCAST_LAYERS[i]!.scaleResolutionDownBy > SIMULCAST_LAYERS[i - 1]!.scaleResolutionDownBy);
    assert.ok(SIMULCAST_LAYERS[i]!.maxBitrate < SIMULCAST_LAYERS[i - 1]!.maxBitrate);
  }
  assert.equal(simulcastEncodings('safari'), undefined);
  assert.equal(simulcastEncodings('other'), undefined);
});

test('a browser that refuses the encodings publishes one stream instead of none', () => {
  const calls: (RTCRtpTransceiverInit | undefined)[] = [];
  const pc = {
    addTransceiver(_kind: string, init?: RTCRtpTransceiverInit) {
      calls.push(init);
      if (init?.sendEncodings) throw new TypeError('rid not supported');
      return { mid: null } as unknown as RTCRtpTransceiver;
    },
  } as unknown as RTCPeerConnection;
  const warn = console.warn;
  console.warn = () => {};
  try {
    addPublishedVideo(pc, 'chromium');
  } finally {
    console.warn = warn;
  }
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1], { direction: 'sendonly' });
});
