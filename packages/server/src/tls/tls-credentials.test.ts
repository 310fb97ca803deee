// The generated certificate is real: Node's TLS (OpenSSL) accepts it for every name it lists, and it is kept between runs.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect, createServer } from 'node:tls';
import { createSelfSignedCertificate, SELF_SIGNED_VALIDITY_DAYS } from './self-signed-certificate.ts';
import { tlsCredentials } from './tls-credentials.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'vashell-tls-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** Completes a TLS handshake to a server using `cert`, trusting only that certificate, under `servername`. */
async function handshake(cert: string, key: string, servername: string, host = '127.0.0.1'): Promise<void> {
  const server = createServer({ cert, key }, (socket) => socket.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host, port: (server.address() as AddressInfo).port, ca: cert, servername, rejectUnauthorized: true }, () => socket.once('data', (d) => resolve(String(d))));
      socket.once('error', reject);
    });
    assert.equal(reply, 'hello');
  } finally {
    server.close();
  }
}

test('a generated certificate verifies against itself and names loopback, IPv6 loopback and LAN addresses', async () => {
  const names = ['localhost', '127.0.0.1', '::1', '192.168.1.23', 'laptop.local'];
  const { cert, key } = createSelfSignedCertificate(names, 'VideoApp test');
  const x509 = new X509Certificate(cert);
  assert.ok(x509.verify(x509.publicKey), 'self-signature does not verify');
  assert.equal(x509.checkHost('localhost'), 'localhost');
  assert.equal(x509.checkHost('laptop.local'), 'laptop.local');
  assert.equal(x509.checkIP('192.168.1.23'), '192.168.1.23');
  assert.equal(x509.checkIP('::1'), '::1');
  assert.equal(x509.checkHost('example.com'), undefined);
  assert.equal(x509.checkIP('10.0.0.1'), undefined);
  const days = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
  assert.ok(Math.abs(days - SELF_SIGNED_VALIDITY_DAYS) < 1, `valid for ${days} days`);
  assert.ok(Date.parse(x509.validFrom) < Date.now());
  await handshake(cert, key, 'localhost');
});

test('a handshake for a name the certificate lacks is refused', async () => {
  const { cert, key } = createSelfSignedCertificate(['localhost'], 'VideoApp test');
  await assert.rejects(handshake(cert, key, 'elsewhere.example'), /does not match|altnames/i);
});

test('the self-signed pair is created once, kept with a private key file, and reused on the next start', async () => {
  const names = ['localhost', '127.0.0.1'];
  const first = await tlsCredentials({ kind: 'self-signed' }, dataDir, names);
  assert.equal(first.created, true);
  assert.equal(statSync(join(dataDir, 'tls', 'self-signed-key.pem')).mode & 0o077, 0, 'key readable by others');
  const second = await tlsCredentials({ kind: 'self-signed' }, dataDir, names);
  assert.equal(second.created, false);
  assert.equal(second.fingerprint, first.fingerprint);
  // The machine got a new LAN address: a certificate naming it replaces the kept one.
  const moved = await tlsCredentials({ kind: 'self-signed' }, dataDir, [...names, '10.1.2.3']);
  assert.equal(moved.created, true);
  assert.notEqual(moved.fingerprint, first.fingerprint);
  assert.equal(new X509Certificate(moved.cert).checkIP('10.1.2.3'), '10.1.2.3');
  await handshake(moved.cert, moved.key, 'localhost');
});

test('a certificate and key the user gives are used as they are', async () => {
  const given = createSelfSignedCertificate(['localhost'], 'Given');
  const certFile = join(dataDir, 'given-cert.pem');
  const keyFile = join(dataDir, 'given-key.pem');
  writeFileSync(certFile, given.cert);
  writeFileSync(keyFile, given.key);
  const loaded = await tlsCredentials({ kind: 'given', certFile, keyFile }, join(dataDir, 'unused'));
  assert.equal(loaded.cert, given.cert);
  assert.equal(loaded.created, false);
  await assert.rejects(tlsCredentials({ kind: 'given', certFile: join(dataDir, 'missing.pem'), keyFile }, dataDir), /ENOENT/);
});
