import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { lanAddresses } from '../lan.ts';
import { createSelfSignedCertificate, type PemCredentials } from './self-signed-certificate.ts';

/** A kept certificate this close to expiry is replaced at start. */
export const RENEW_BEFORE_EXPIRY_MS = 30 * 86_400_000;

export type HttpsSetting = { kind: 'off' } | { kind: 'given'; certFile: string; keyFile: string } | { kind: 'self-signed' };

export interface TlsCredentials extends PemCredentials {
  /** SHA-256 fingerprint, for comparing with what a phone's certificate warning shows. */
  fingerprint: string;
  /** Whether this start created the certificate (rather than reading one). */
  created: boolean;
}

/** The names a phone or laptop may use to reach this machine: loopback, the host name, and every LAN address. */
export function localNames(): string[] {
  const host = hostname().toLowerCase();
  const names = ['localhost', '127.0.0.1', '::1', ...lanAddresses()];
  if (/^[a-z0-9-]+$/.test(host)) names.push(host, `${host}.local`);
  return [...new Set(names)];
}

/** Reads the certificate and key the user gave, or reads or creates the self-signed pair kept in `dataDir`. */
export async function tlsCredentials(setting: Exclude<HttpsSetting, { kind: 'off' }>, dataDir: string, names = localNames()): Promise<TlsCredentials> {
  if (setting.kind === 'given') {
    const [cert, key] = await Promise.all([readFile(setting.certFile, 'utf8'), readFile(setting.keyFile, 'utf8')]);
    return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256, created: false };
  }
  const dir = join(dataDir, 'tls');
  const certFile = join(dir, 'self-signed-cert.pem');
  const keyFile = join(dir, 'self-signed-key.pem');
  const kept = await readKept(certFile, keyFile);
  if (kept && stillFits(kept.cert, names)) return { ...kept, fingerprint: new X509Certificate(kept.cert).fingerprint256, created: false };

  const fresh = createSelfSignedCertificate(names, `VideoApp on ${hostname()}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyFile, fresh.key, { mode: 0o600 });
  await writeFile(certFile, fresh.cert);
  return { ...fresh, fingerprint: new X509Certificate(fresh.cert).fingerprint256, created: true };
}

async function readKept(certFile: string, keyFile: string): Promise<PemCredentials | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    return { cert, key };
  } catch {
    return undefined;
  }
}

/** A kept certificate is reused while it is valid for a while yet and names every address this machine has now. */
function stillFits(pem: string, names: readonly string[]): boolean {
  try {
    const cert = new X509Certificate(pem);
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_EXPIRY_MS) return false;
    return names.every((n) => (n.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(n) ? cert.checkIP(n) : cert.checkHost(n, { wildcards: false })) !== undefined);
  } catch {
    return false;
  }
}
