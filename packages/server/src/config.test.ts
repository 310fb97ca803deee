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
