// What a test needs from this machine beyond Node, and the reason it is skipped when that is not
// there. `npm test` installs everything first (scripts/system-packages.sh); a run without it
// (VIDEOAPP_SKIP_SYSTEM_PACKAGES=1, or `node scripts/test.mjs` on a fresh machine) then reports
// one skipped test with its reason instead of dozens of failures to launch a program.
//
//   describe('calls in Chromium', { skip: missing('chromium') }, () => { ... });
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TURNSERVER_PATH } from '../../scripts/coturn.ts';
import { NGINX_PATH } from '../../scripts/nginx.ts';

/** The browsers the tests drive: Debian's builds, or another named by these variables. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

interface Program {
  /** A path the tests run it by, or a command name looked up on PATH. */
  run: string;
  /** The variable that may name another build instead of Debian's. */
  variable?: string;
  /** The Debian package that brings it (the same as in scripts/system-packages.sh). */
  debianPackage: string;
}

const PROGRAMS = {
  chromium: { run: CHROMIUM_PATH, variable: 'CHROMIUM_PATH', debianPackage: 'chromium' },
  firefox: { run: FIREFOX_PATH, variable: 'FIREFOX_PATH', debianPackage: 'firefox-esr' },
  coturn: { run: TURNSERVER_PATH, variable: 'TURNSERVER_PATH', debianPackage: 'coturn' },
  redis: { run: 'redis-server', debianPackage: 'redis-server' },
  janus: { run: 'janus', debianPackage: 'janus' },
  nginx: { run: NGINX_PATH, variable: 'NGINX_PATH', debianPackage: 'nginx' },
  iptables: { run: 'iptables', debianPackage: 'iptables' },
  pkill: { run: 'pkill', debianPackage: 'procps' },
  espeak: { run: 'espeak-ng', debianPackage: 'espeak-ng' },
  sox: { run: 'sox', debianPackage: 'sox' },
  pulseaudio: { run: 'pulseaudio', debianPackage: 'pulseaudio' },
} satisfies Record<string, Program>;

/** A program, or `netns`: root with iproute2, to build network namespaces. */
export type Need = keyof typeof PROGRAMS | 'netns';

const reasons = new Map<Need, string | false>();

/**
 * The reason to skip a test that needs all of `needs`, naming each one missing
 * and what provides it; false when every one is here.
 */
export function missing(...needs: Need[]): string | false {
  const found = needs.map((need) => {
    if (!reasons.has(need)) reasons.set(need, need === 'netns' ? netnsMissing() : programMissing(PROGRAMS[need]));
    return reasons.get(need)!;
  });
  const absent = found.filter((reason): reason is string => reason !== false);
  return absent.length === 0 ? false : absent.join('; ');
}

function programMissing(program: Program): string | false {
  const explicit = program.variable !== undefined && process.env[program.variable] !== undefined;
  if (program.run.includes('/') ? isExecutable(program.run) : findCommand(program.run) !== undefined) return false;
  if (explicit) return `needs ${program.run} (from ${program.variable}), which is not an executable`;
  return `needs ${program.run}, from the Debian package ${program.debianPackage}, which is not installed (bash scripts/system-packages.sh installs it)`;
}

function netnsMissing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root, to build network namespaces';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'needs ip from the Debian package iproute2, to build network namespaces (bash scripts/system-packages.sh installs it)';
  }
}

/** Where `command` would run from: PATH, then the sbin folders a user's PATH may leave out. */
function findCommand(command: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin'];
  return folders.map((folder) => join(folder, command)).find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
