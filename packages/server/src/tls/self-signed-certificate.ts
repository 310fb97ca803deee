import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import * as der from './der.ts';

/** How long a generated certificate is valid. Browsers cap trusted certificates near this; ours is only clicked through, but stays modest. */
export const SELF_SIGNED_VALIDITY_DAYS = 365;
const DAY_MS = 86_400_000;

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

export interface PemCredentials {
  cert: string;
  key: string;
}

/**
 * A self-signed ECDSA P-256 certificate for the given host names and IP
 * addresses, written with Node's crypto and a small DER writer so that no
 * openssl binary is needed.
 */
export function createSelfSignedCertificate(names: readonly string[], commonName: string, now = new Date()): PemCredentials {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const algorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSha256));
  const name = der.sequence(
    der.set(der.sequence(der.objectIdentifier(OID.organization), der.utf8String('VideoApp'))),
    der.set(der.sequence(der.objectIdentifier(OID.commonName), der.utf8String(commonName))),
  );
  // Backdated a little so a phone whose clock runs behind still accepts it.
  const notBefore = new Date(now.getTime() - DAY_MS);
  const notAfter = new Date(now.getTime() + SELF_SIGNED_VALIDITY_DAYS * DAY_MS);
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;

  const tbs = der.sequence(
    der.explicit(0, der.unsignedInteger(Buffer.from([2]))), // X.509 v3
    der.unsignedInteger(serial),
    algorithm,
    name,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    name,
    spki,
    der.explicit(
      3,
      der.sequence(
        extension(OID.basicConstraints, true, der.sequence()),
        extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x07, 0x80])), // digitalSignature only
        extension(OID.extendedKeyUsage, false, der.sequence(der.objectIdentifier(OID.serverAuth))),
        extension(OID.subjectAltName, false, der.sequence(...names.map(alternativeName))),
        extension(OID.subjectKeyIdentifier, false, der.octetString(createHash('sha1').update(spki).digest())),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const certificate = der.sequence(tbs, algorithm, der.bitString(signature));
  return { cert: toPem('CERTIFICATE', certificate), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.objectIdentifier(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

function alternativeName(name: string): Buffer {
  const version = isIP(name);
  if (version === 4) return der.implicitPrimitive(7, Buffer.from(name.split('.').map(Number)));
  if (version === 6) return der.implicitPrimitive(7, ipv6Bytes(name));
  return der.implicitPrimitive(2, Buffer.from(name, 'ascii')); // dNSName
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = [...groups(head), ...(address.includes('::') ? new Array<string>(missing).fill('0') : []), ...groups(tail)];
  const bytes = Buffer.alloc(16);
  for (const [i, group] of all.entries()) bytes.writeUInt16BE(parseInt(group, 16), i * 2);
  return bytes;
}

function toPem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
