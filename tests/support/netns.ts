import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH } from './requires.ts';

/**
 * A test host of our own: a network namespace joined to this machine by one
 * veth pair, with addresses from 198.19.0.0/16 (part of the range set aside for
 * network tests). It has no default route, so nothing it sends can reach any
 * address but the host side of its own link.
 */
export interface IsolatedHost {
  name: string;
  /** The namespace's address. */
  address: string;
  /** This machine's address on the link, where servers the test starts can be reached. */
  gateway: string;
  /** An executable that runs Chromium inside the namespace (Playwright drives it over a pipe). */
  chromium: string;
  /** Takes the link down: packets vanish, no connection is closed. */
  cut(): void;
  restore(): void;
  /** Replaces the namespace's address, as when a phone moves to another network. Returns the new one. */
  changeAddress(): string;
  /** Drops this share (0..1) of packets in each direction, at random (iptables statistic). */
  dropShare(share: number): void;
  destroy(): void;
}

function run(...args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Creates a network namespace with IPv6 off. With it on, every link brought up gains a link-local
 * IPv6 address about two seconds later, once duplicate detection ends. A Chromium running in the
 * namespace takes that for a change of network and aborts whatever it is loading
 * (net::ERR_NETWORK_CHANGED), so a test that starts its browsers soon after building its network
 * failed now and then. The labs' addresses are all IPv4.
 */
export function addNamespace(name: string): void {
  run('ip', 'netns', 'add', name);
  // "all" turns it off on the links already there, "default" on those added or moved in later.
  run('ip', 'netns', 'exec', name, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
}

/** `index` (0–255) picks the /24 subnet, so hosts made at once do not overlap. */
export function createIsolatedHost(tag: string, index: number): IsolatedHost {
  const name = `${tag}${index}`;
  const hostSide = `${tag}${index}h`;
  const nsSide = `${tag}${index}n`;
  const gateway = `198.19.${index}.1`;
  let address = `198.19.${index}.2`;
  removeQuietly(name, hostSide);
  addNamespace(name);
  run('ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide);
  run('ip', 'link', 'set', nsSide, 'netns', name);
  run('ip', 'addr', 'add', `${gateway}/24`, 'dev', hostSide);
  run('ip', 'link', 'set', hostSide, 'up');
  run('ip', 'netns', 'exec', name, 'ip', 'addr', 'add', `${address}/24`, 'dev', nsSide);
  run('ip', 'netns', 'exec', name, 'ip', 'link', 'set', nsSide, 'up');
  run('ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');

  const chromium = join(tmpdir(), `${name}-chromium.sh`);
  writeFileSync(chromium, `#!/bin/sh\nexec ip netns exec ${name} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(chromium, 0o755);

  const inNs = (...args: string[]) => run('ip', 'netns', 'exec', name, ...args);
  return {
    name,
    get address() {
      return address;
    },
    gateway,
    chromium,
    cut: () => run('ip', 'link', 'set', hostSide, 'down'),
    restore: () => run('ip', 'link', 'set', hostSide, 'up'),
    changeAddress: () => {
      const next = `198.19.${index}.${Number(address.split('.')[3]) + 1}`;
      // Delete first: removing a primary address would take a secondary in the same subnet with it.
      inNs('ip', 'addr', 'del', `${address}/24`, 'dev', nsSide);
      inNs('ip', 'addr', 'add', `${next}/24`, 'dev', nsSide);
      address = next;
      return next;
    },
    dropShare: (share) => {
      for (const chain of ['INPUT', 'OUTPUT']) {
        inNs('iptables', '-A', chain, '-m', 'statistic', '--mode', 'random', '--probability', String(share), '-j', 'DROP');
      }
    },
    destroy: () => {
      removeQuietly(name, hostSide);
      rmSync(chromium, { force: true });
    },
  };
}

function removeQuietly(name: string, hostSide: string): void {
  try {
    run('ip', 'link', 'del', hostSide);
  } catch {
    // Not there: nothing to remove.
  }
  try {
    run('ip', 'netns', 'del', name);
  } catch {
    // Not there: nothing to remove.
  }
}
