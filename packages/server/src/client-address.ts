import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** X-Forwarded-For entries read at most, from the right: more proxies than this in a row is not a real deployment. */
export const MAX_FORWARDED_HOPS = 16;

/** How a request's client address is found: the TCP peer, or what a trusted reverse proxy says it forwarded. */
export type ClientAddressOf = (req: IncomingMessage) => string;

/**
 * Per-address limits need the client's address. Behind a reverse proxy the
 * TCP peer is the proxy, so for peers listed in `trustedProxies` (addresses or
 * CIDR blocks) the address is read from X-Forwarded-For: walking it from the
 * right, the first address that is not a trusted proxy is the client. Anyone
 * else's X-Forwarded-For is ignored, since a client may write anything there.
 */
export function clientAddressResolver(trustedProxies: string[]): ClientAddressOf {
  if (trustedProxies.length === 0) return (req) => plainAddress(req.socket.remoteAddress ?? 'unknown');
  const trusted = trustedProxyList(trustedProxies);
  const isTrusted = (address: string) => trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  return (req) => {
    const peer = plainAddress(req.socket.remoteAddress ?? 'unknown');
    const forwarded = req.headers['x-forwarded-for'];
    if (forwarded === undefined || isIP(peer) === 0 || !isTrusted(peer)) return peer;
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= Math.max(0, hops.length - MAX_FORWARDED_HOPS); i--) {
      const hop = plainAddress(hops[i]!.trim());
      // Something that is not an address ends the trail: the last address read is the client.
      if (isIP(hop) === 0) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}

/** Reads TRUSTED_PROXIES entries (`203.0.113.7`, `10.0.0.0/8`, `::1`); throws on anything else. */
export function trustedProxyList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`must be IP addresses or CIDR blocks, got "${entry}"`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else {
      const bits = Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new Error(`must be IP addresses or CIDR blocks; "${entry}" has a bad prefix length`);
      list.addSubnet(address, bits, type);
    }
  }
  return list;
}

/** A server listening on `::` sees IPv4 clients as `::ffff:a.b.c.d`: one client, one address. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
