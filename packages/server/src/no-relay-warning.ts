import { isIPv4 } from 'node:net';
import type { ServerConfig } from './config.ts';

/** What the operator reads, once at start, when `warnsOfNoRelay` holds. */
export const NO_RELAY_WARNING =
  'No STUN or TURN server is configured, so calls will only connect between people on the same network. ' +
  'To relay calls across networks, run coturn and set TURN_URLS and TURN_SECRET: `npm run start:turn` does it on this machine, deploy/README.md explains a real deployment.';

/**
 * Whether to warn that calls will not cross networks: the server listens
 * beyond loopback (so people elsewhere may reach it) but hands out neither
 * STUN nor TURN. On loopback only this machine's browsers can call, and they
 * always find each other.
 */
export function warnsOfNoRelay(config: Pick<ServerConfig, 'host' | 'stunUrls' | 'turn'>): boolean {
  const hasIceServers = config.stunUrls.length > 0 || (config.turn?.urls.length ?? 0) > 0;
  return !hasIceServers && !isLoopbackHost(config.host);
}

/** `localhost`, 127.0.0.0/8 or ::1. The wildcard addresses (0.0.0.0, ::) listen on every network, so they are not. */
export function isLoopbackHost(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (address === 'localhost' || address === '::1') return true;
  const v4 = address.replace(/^::ffff:/, '');
  return isIPv4(v4) && v4.startsWith('127.');
}
