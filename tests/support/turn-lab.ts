// A small network for TURN tests, built from Linux network namespaces:
//
//   ns "a"  198.18.1.2 ── 198.18.1.1  ns "core"  198.18.2.1 ── 198.18.2.2  ns "b"
//                          services 198.18.3.1, relay 198.18.0.1 (on lo)
//
// "core" runs coturn and the signaling server on the services address, which
// both sides route to; "a" and "b" each run one Chromium. A and B have no route
// to each other nor to the relay address, so only coturn connects them. setPeersRoutable(true) turns core into a router,
// giving them a direct path (to show that relay-only really avoids it).
// Addresses are in the benchmark range 198.18.0.0/15; nothing leaves the namespaces.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningCoturn, startCoturn } from '../../scripts/coturn.ts';
import { addNamespace } from './netns.ts';
import { CHROMIUM_PATH } from './requires.ts';

/** Prefix of every namespace, interface and folder the lab creates, so parallel runs of other work do not collide. */
export const LAB_TAG = 'vaturn';
export const RELAY_IP = '198.18.0.1';
/** Where both sides find the signaling server and coturn. */
export const SERVICE_IP = '198.18.3.1';
export const SIGNALING_PORT = 8080;
export const TURN_PORT = 3478;
export const SERVER_START_TIMEOUT_MS = 10_000;
const SERVER_MAIN = new URL('../../packages/server/dist/main.js', import.meta.url).pathname;

export type Side = 'a' | 'b';

export interface LabSide {
  ns: string;
  ip: string;
  /** The core's address on this side's link: where this side finds the servers. */
  coreIp: string;
}

let labCount = 0;

export class TurnLab {
  readonly id = `${(process.pid % 1296).toString(36)}${(labCount++).toString(36)}`;
  readonly core = `${LAB_TAG}-${this.id}-core`;
  readonly sides: Record<Side, LabSide> = {
    a: { ns: `${LAB_TAG}-${this.id}-a`, ip: '198.18.1.2', coreIp: '198.18.1.1' },
    b: { ns: `${LAB_TAG}-${this.id}-b`, ip: '198.18.2.2', coreIp: '198.18.2.1' },
  };
  readonly workDir = mkdtempSync(join(tmpdir(), `${LAB_TAG}-lab-`));
  private readonly blocked = new Set<Side>();
  private coturn: RunningCoturn | undefined;
  private server: ChildProcess | undefined;

  /** Creates the namespaces and links. On failure, undoes what it made. */
  static build(): TurnLab {
    const lab = new TurnLab();
    try {
      lab.wire();
    } catch (err) {
      lab.removeNamespaces();
      throw err;
    }
    return lab;
  }

  private wire(): void {
    for (const ns of [this.core, this.sides.a.ns, this.sides.b.ns]) {
      addNamespace(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('-n', this.core, 'addr', 'add', `${RELAY_IP}/32`, 'dev', 'lo');
    ip('-n', this.core, 'addr', 'add', `${SERVICE_IP}/32`, 'dev', 'lo');
    sysctl(this.core, 'net.ipv4.ip_forward', '0');
    for (const side of ['a', 'b'] as const) {
      const { ns, ip: address, coreIp } = this.sides[side];
      const inner = `${LAB_TAG}${this.id}${side}`;
      const outer = `${LAB_TAG}${this.id}c${side}`;
      // Both ends are created inside the lab's namespaces: nothing appears in the host's.
      ip('link', 'add', inner, 'netns', ns, 'type', 'veth', 'peer', 'name', outer, 'netns', this.core);
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', inner);
      ip('-n', this.core, 'addr', 'add', `${coreIp}/24`, 'dev', outer);
      ip('-n', ns, 'link', 'set', inner, 'up');
      ip('-n', this.core, 'link', 'set', outer, 'up');
      ip('-n', ns, 'route', 'add', `${SERVICE_IP}/32`, 'via', coreIp);
    }
  }

  /** Gives A and B a direct path through core (true) or takes it away (false). */
  setPeersRoutable(routable: boolean): void {
    sysctl(this.core, 'net.ipv4.ip_forward', routable ? '1' : '0');
    const verb = routable ? 'add' : 'del';
    ipTolerant(routable, '-n', this.sides.a.ns, 'route', verb, '198.18.2.0/24', 'via', this.sides.a.coreIp);
    ipTolerant(routable, '-n', this.sides.b.ns, 'route', verb, '198.18.1.0/24', 'via', this.sides.b.coreIp);
  }

  /** Drops every UDP datagram a side sends (the firewall that only lets TCP out). */
  setUdpBlocked(side: Side, blocked: boolean): void {
    if (blocked === this.blocked.has(side)) return;
    execFileSync('ip', ['netns', 'exec', this.sides[side].ns, 'iptables', blocked ? '-A' : '-D', 'OUTPUT', '-p', 'udp', '-j', 'DROP'], { stdio: 'pipe' });
    if (blocked) this.blocked.add(side);
    else this.blocked.delete(side);
  }

  /** An executable that starts Debian's Chromium inside a side's namespace, for playwright's `executablePath`. */
  chromiumIn(side: Side): string {
    const path = join(this.workDir, `chromium-${side}.sh`);
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${this.sides[side].ns} ${CHROMIUM_PATH} "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  readonly appUrl = `http://${SERVICE_IP}:${SIGNALING_PORT}`;

  turnUrls(transports: ('udp' | 'tcp')[]): string[] {
    return transports.map((t) => `turn:${SERVICE_IP}:${TURN_PORT}?transport=${t}`);
  }

  async startCoturn(secret: string): Promise<void> {
    this.coturn = await startCoturn({
      secret,
      listeningIps: [SERVICE_IP],
      relayIp: RELAY_IP,
      port: TURN_PORT,
      relayPorts: { min: 49160, max: 49400 },
      // The relay address itself, so two relayed peers meet; the peers' own addresses stay denied.
      allowedPeerIps: [RELAY_IP],
      workDir: join(this.workDir, 'coturn'),
      launcher: ['ip', 'netns', 'exec', this.core],
    });
  }

  /** Starts the built signaling server inside core with these extra environment variables, replacing any running one. */
  async startServer(env: Record<string, string>): Promise<void> {
    await this.stopServer();
    if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run npm run build first`);
    const child = spawn('ip', ['netns', 'exec', this.core, process.execPath, SERVER_MAIN], {
      env: { ...process.env, PORT: String(SIGNALING_PORT), HOST: '0.0.0.0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.server = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server not up after ${SERVER_START_TIMEOUT_MS} ms: ${output}`)), SERVER_START_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('VideoApp is running')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code}): ${output}`));
      });
    });
  }

  async stopServer(): Promise<void> {
    const child = this.server;
    this.server = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Stops everything the lab started and deletes its namespaces (their links and firewall rules go with them). */
  async destroy(): Promise<void> {
    await this.stopServer().catch(() => {});
    await this.coturn?.stop().catch(() => {});
    this.removeNamespaces();
  }

  private removeNamespaces(): void {
    for (const ns of [this.sides.a.ns, this.sides.b.ns, this.core]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // Not created, or already gone.
      }
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }

  coturnLog(): string {
    return this.coturn?.log() ?? '';
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Adding a route that exists or deleting one that does not is not a failure here. */
function ipTolerant(adding: boolean, ...args: string[]): void {
  try {
    ip(...args);
  } catch (err) {
    const message = String((err as { stderr?: Buffer }).stderr ?? err);
    if (!(adding ? /File exists/ : /No such process|not found/).test(message)) throw err;
  }
}

function sysctl(ns: string, key: string, value: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`], { stdio: 'pipe' });
}
