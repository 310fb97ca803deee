import { networkInterfaces } from 'node:os';

/** This machine's IPv4 addresses on its networks (not loopback): where phones and other computers reach it. */
export function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

/** The URLs at which other devices on this network can reach the server. */
export function lanUrls(host: string, port: number, scheme: 'http' | 'https'): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [];
  return lanAddresses().map((address) => `${scheme}://${address}:${port}`);
}
