// What an operator sees: /metrics (counters and the join-latency histogram) and logs that carry no call content or room secrets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger, defaultConfig, type LogLevel, startServer } from '@videoapp/server';
import { metricsText, metricValue } from '../support/metrics.ts';
import { createRoomAsHost, WsTestClient } from '../support/ws-client.ts';

const SDP_LINE = 'a=fingerprint:sha-256 9F:3C:AA:01:B2:7E:44:D0';
const SDP = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 198.51.100.23\r\n${SDP_LINE}\r\na=ice-ufrag:Zq4u\r\na=ice-pwd:tXdr9Yd3k2JfVz7Kc1pQ0aLm\r\n`;
const CANDIDATE_IP = '203.0.113.77';
const CANDIDATE = { candidate: `candidate:842163049 1 udp 1677729535 ${CANDIDATE_IP} 61234 typ srflx raddr 10.9.8.7 rport 61234`, sdpMid: '0', sdpMLineIndex: 0 };
const PASSCODE = 'violet otter 9';
const NAMES = ['Ada Lovelace-7Q', 'Bo Diddley-3Z'];

/** A whole call's worth of signaling (and some mistakes), with every log line the server writes at `level` captured. */
async function callWithCapturedLogs(level: LogLevel | 'silent') {
  const lines: string[] = [];
  const server = await startServer({ ...defaultConfig(), port: 0, host: '127.0.0.1', logLevel: level }, { log: createLogger(level, (line) => lines.push(line)) });
  try {
    const { roomId, hostKey } = await createRoomAsHost(server.url, PASSCODE);
    const a = await WsTestClient.greeted(server.url);
    a.send({ type: 'join', roomId, name: NAMES[0]!, hostKey });
    const aId = (await a.next('joined')).selfId;
    const b = await WsTestClient.greeted(server.url);
    b.send({ type: 'join', roomId, name: NAMES[1]!, passcode: 'not it at all' });
    await b.next('error');
    b.send({ type: 'join', roomId, name: NAMES[1]!, passcode: PASSCODE });
    const bId = (await b.next('joined')).selfId;
    a.send({ type: 'description', to: bId, description: { type: 'offer', sdp: SDP } });
    await b.next('description');
    b.send({ type: 'description', to: aId, description: { type: 'answer', sdp: SDP } });
    await a.next('description');
    for (let i = 0; i < 5; i++) b.send({ type: 'candidate', to: aId, candidate: CANDIDATE });
    for (let i = 0; i < 5; i++) await a.next('candidate');
    a.send({ type: 'media', media: { audio: true, video: false } });
    await b.next('peer-media');
    a.send({ type: 'lock', locked: true });
    await a.next('room-lock');
    // Mistakes carrying content must not drag it into the logs either.
    b.send({ type: 'description', to: 'nobody', description: { type: 'offer', sdp: SDP } });
    await b.next('error');
    b.sendRaw(`{"type":"candidate","candidate":${JSON.stringify(CANDIDATE)}`);
    await b.next('error');
    b.send({ type: 'leave', reason: 'hang-up' });
    await a.next('peer-left');
    a.close();
    await a.waitClosed();
    return { lines, roomId, hostKey, metrics: await metricsText(server.url) };
  } finally {
    await server.close();
  }
}

function assertNothingSecret(lines: string[], secrets: string[]): void {
  for (const line of lines) {
    JSON.parse(line);
    for (const secret of secrets) assert.ok(!line.includes(secret), `log line leaks ${JSON.stringify(secret)}: ${line}`);
  }
}

describe('logs', () => {
  test('at the default level: JSON lines about joins and departures, with no SDP, candidate address, name, passcode, host key or room ID', async () => {
    assert.equal(defaultConfig().logLevel, 'info');
    const { lines, roomId, hostKey } = await callWithCapturedLogs('info');
    const events = lines.map((l) => (JSON.parse(l) as { event: string }).event);
    // Without this, the test would pass on a server that logs nothing.
    for (const expected of ['listening', 'join-refused', 'joined', 'room-lock', 'left']) assert.ok(events.includes(expected), `no ${expected} event in ${events.join(',')}`);
    assertNothingSecret(lines, [SDP_LINE, 'ice-pwd', 'v=0', CANDIDATE_IP, '10.9.8.7', '198.51.100.23', ...NAMES, PASSCODE, hostKey, roomId, roomId.replaceAll('-', '')]);
  });

  test('even at debug, no room secret or call content is logged', async () => {
    const { lines, roomId, hostKey } = await callWithCapturedLogs('debug');
    assertNothingSecret(lines, [SDP_LINE, CANDIDATE_IP, ...NAMES, PASSCODE, hostKey, roomId]);
  });
});

describe('metrics', () => {
  test('relayed messages by type, rejections by reason, and a join-latency histogram that counts every join', async () => {
    const { metrics } = await callWithCapturedLogs('silent');
    const sample = (name: string) =>
      Number(
        metrics
          .split('\n')
          .find((l) => l.startsWith(`${name} `))
          ?.split(' ')[1] ?? NaN,
      );
    assert.equal(sample('videoapp_messages_relayed_total{type="description"}'), 2);
    assert.equal(sample('videoapp_messages_relayed_total{type="candidate"}'), 5);
    assert.equal(sample('videoapp_messages_relayed_total{type="peer-media"}'), 1);
    assert.equal(sample('videoapp_messages_rejected_total{reason="wrong-passcode"}'), 1);
    assert.equal(sample('videoapp_messages_rejected_total{reason="peer-not-found"}'), 1);
    assert.equal(sample('videoapp_messages_rejected_total{reason="bad-message"}'), 1);
    assert.equal(sample('videoapp_join_duration_seconds_count'), 2);
    assert.ok(sample('videoapp_join_duration_seconds_sum') > 0);
    // Cumulative buckets never fall, and the last holds every join. The passcode join pays for scrypt, so not all fit the first bucket.
    const buckets = metrics
      .split('\n')
      .filter((l) => l.startsWith('videoapp_join_duration_seconds_bucket'))
      .map((l) => Number(l.split(' ')[1]));
    assert.ok(buckets.length >= 10);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]! >= buckets[i - 1]!, metrics);
    assert.equal(buckets.at(-1), 2);
    assert.match(metrics, /# TYPE videoapp_join_duration_seconds histogram/);
  });

  test('the server answers /healthz, /readyz and /metrics over HTTP', async () => {
    const server = await startServer({ ...defaultConfig(), port: 0, host: '127.0.0.1', logLevel: 'silent' });
    try {
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      assert.equal(await metricValue(server.url, 'videoapp_sockets'), 0);
    } finally {
      await server.close();
    }
  });

  test('/metrics has the process figures an operator expects, under the conventional names', async () => {
    const server = await startServer({ ...defaultConfig(), port: 0, host: '127.0.0.1', logLevel: 'silent' });
    try {
      // A few collections happen on their own; give the event-loop and GC figures something to report.
      for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 50));
      const text = await metricsText(server.url);
      for (const name of [
        'process_resident_memory_bytes',
        'nodejs_heap_size_used_bytes',
        'process_open_fds',
        'process_uptime_seconds',
        'nodejs_eventloop_lag_p50_seconds',
        'nodejs_eventloop_lag_p99_seconds',
      ]) {
        assert.ok((await metricValue(server.url, name)) > 0, `${name} missing or zero`);
      }
      assert.match(text, /# TYPE nodejs_gc_duration_seconds histogram/);
      assert.ok((await metricValue(server.url, 'process_resident_memory_bytes')) > 10e6);
    } finally {
      await server.close();
    }
  });
});
