import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from './config.ts';

test('HTTPS is off by default, on by flag alone or by variable, and uses a given certificate when both files are named', () => {
  assert.deepEqual(readConfig({}, []).https, { kind: 'off' });
  assert.deepEqual(readConfig({}, ['--https']).https, { kind: 'self-signed' });
  assert.deepEqual(readConfig({}, ['--https', '--port', '9000']).https, { kind: 'self-signed' });
  assert.deepEqual(readConfig({ HTTPS: 'on' }, []).https, { kind: 'self-signed' });
  assert.deepEqual(readConfig({ HTTPS: 'on' }, ['--https=off']).https, { kind: 'off' });
  assert.deepEqual(readConfig({ TLS_CERT: 'c.pem', TLS_KEY: 'k.pem' }, []).https, { kind: 'given', certFile: 'c.pem', keyFile: 'k.pem' });
  assert.deepEqual(readConfig({}, ['--tls-cert', 'c.pem', '--tls-key=k.pem', '--https']).https, { kind: 'given', certFile: 'c.pem', keyFile: 'k.pem' });
  assert.equal(readConfig({ DATA_DIR: '/srv/videoapp' }, []).dataDir, '/srv/videoapp');
  assert.match(readConfig({}, []).dataDir, /\.videoapp$/);
});

test('half a certificate or a muddled switch is refused with a message', () => {
  assert.throws(() => readConfig({ TLS_CERT: 'c.pem' }, []), /TLS_CERT and TLS_KEY/);
  assert.throws(() => readConfig({}, ['--tls-key', 'k.pem']), /TLS_CERT and TLS_KEY/);
  assert.throws(() => readConfig({ HTTPS: 'maybe' }, []), /on or off/);
});

test('trusted proxies are addresses or CIDR blocks; anything else stops the server from starting', () => {
  assert.deepEqual(readConfig({ TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' }, []).trustedProxies, ['127.0.0.1', '10.0.0.0/8']);
  assert.deepEqual(readConfig({}, ['--trusted-proxies', '::1']).trustedProxies, ['::1']);
  assert.deepEqual(readConfig({}, []).trustedProxies, [], 'nobody is trusted by default');
  assert.throws(() => readConfig({ TRUSTED_PROXIES: 'proxy.internal' }, []), /TRUSTED_PROXIES/);
});

test('every setting is checked: a bad value stops the server with a message naming the setting and what it allows', () => {
  assert.throws(() => readConfig({ LOG_LEVEL: 'loud' }, []), /^Error: LOG_LEVEL \(--log-level\) must be one of debug, info, warn, error, silent, got "loud"$/);
  assert.throws(() => readConfig({}, ['--log-level', 'verbose']), /LOG_LEVEL \(--log-level\) must be one of debug, info, warn, error, silent/);
  assert.throws(() => readConfig({ PORT: '70000' }, []), /PORT \(--port\) must be a whole number from 0 to 65535, got "70000"/);
  assert.throws(() => readConfig({ PORT: '8o8o' }, []), /PORT \(--port\)/);
  assert.throws(() => readConfig({ STUN_URLS: 'stun.example.org:3478' }, []), /STUN_URLS \(--stun-urls\) must be comma-separated stun: or stuns: URLs/);
  assert.throws(() => readConfig({ TURN_URLS: 'https://turn.example.org', TURN_SECRET: 'x' }, []), /TURN_URLS/);
  assert.throws(() => readConfig({ ALLOWED_ORIGINS: 'https://example.org/app' }, []), /ALLOWED_ORIGINS \(--allowed-origins\) must be comma-separated origins/);
  assert.throws(() => readConfig({ RESUME_SECRET: 'short' }, []), /RESUME_SECRET \(--resume-secret\) must be at least 16 characters/);
  assert.throws(() => readConfig({ SOCKETS_PER_ADDRESS: '0' }, []), /SOCKETS_PER_ADDRESS/);
  assert.throws(() => readConfig({ TRUSTED_PROXIES: '10.0.0.0/99' }, []), /TRUSTED_PROXIES \(--trusted-proxies\) must be IP addresses or CIDR blocks; "10.0.0.0\/99" has a bad prefix length/);
  assert.equal(readConfig({ LOG_LEVEL: 'silent' }, []).logLevel, 'silent');
});

test('flags are parsed strictly: an unknown flag, a flag without its value, or a stray word stops the server', () => {
  assert.throws(() => readConfig({}, ['--prot', '80']), /Unknown option '--prot'/);
  assert.throws(() => readConfig({}, ['--port']), /--port/);
  assert.throws(() => readConfig({}, ['8080']), /8080/);
  assert.equal(readConfig({ PORT: '1' }, ['--port=2']).port, 2, 'a flag wins over the environment');
});

test('Janus (SFU groundwork) takes a ws:// or wss:// URL and both secrets, all three or none', () => {
  assert.equal(readConfig({}, []).sfu, undefined, 'no SFU unless configured');
  const janus = { JANUS_URL: 'ws://127.0.0.1:8188', JANUS_API_SECRET: 'api-secret', JANUS_ADMIN_KEY: 'admin-key' };
  assert.deepEqual(readConfig(janus, []).sfu, { url: 'ws://127.0.0.1:8188', apiSecret: 'api-secret', adminKey: 'admin-key' });
  assert.deepEqual(readConfig({}, ['--janus-url', 'wss://janus.internal/ws', '--janus-api-secret=a', '--janus-admin-key', 'k']).sfu, { url: 'wss://janus.internal/ws', apiSecret: 'a', adminKey: 'k' });
  assert.throws(() => readConfig({ ...janus, JANUS_URL: 'http://127.0.0.1:8088/janus' }, []), /^Error: JANUS_URL \(--janus-url\) must be Janus's WebSocket API as a ws:\/\/ or wss:\/\/ URL/);
  assert.throws(() => readConfig({ ...janus, JANUS_URL: '127.0.0.1:8188' }, []), /JANUS_URL/);
  assert.throws(() => readConfig({ JANUS_URL: 'ws://127.0.0.1:8188' }, []), /Janus needs all three of JANUS_URL, JANUS_API_SECRET and JANUS_ADMIN_KEY \(missing: JANUS_API_SECRET, JANUS_ADMIN_KEY\)/);
  assert.throws(() => readConfig({ JANUS_API_SECRET: 's', JANUS_ADMIN_KEY: 'k' }, []), /missing: JANUS_URL\)/);
  assert.throws(() => readConfig(janus, ['--janus-api-secret=']), /missing: JANUS_API_SECRET\)/, 'an empty secret counts as none');
});
