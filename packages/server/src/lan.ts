import { networkInterfaces } from 'node:os';

/** The URLs at which other devices on this network can reach the server. */
export function lanUrls(host: string, port: number, scheme: 'http' | 'https'): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [];
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => `${scheme}://${a!.address}:${port}`);
}
