import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const MAIN = new URL('../../packages/server/dist/main.js', import.meta.url).pathname;
/** How long a started server may take to say it is listening. */
const START_TIMEOUT_MS = 10_000;

/** The built server as its own process (`npm start` without the build), so a test can kill it like a crash would. */
export class ServerProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string> = {},
  ) {}

  /** The running process's id (for reading its memory from /proc). */
  get pid(): number {
    if (this.child?.pid === undefined) throw new Error('server not started');
    return this.child.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server and resolves when it says it is running. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [MAIN, '--port', String(this.port), '--host', '0.0.0.0'], {
      env: { ...process.env, LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start')), START_TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('VideoApp is running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
  }

  /** Kills the process outright: no goodbye to clients, as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}
