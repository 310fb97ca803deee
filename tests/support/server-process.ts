import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const MAIN = new URL('../../packages/server/dist/main.js', import.meta.url).pathname;
/** How long a started server may take to say it is listening (generous: a loaded CI machine starts processes slowly). */
const START_TIMEOUT_MS = 30_000;

/** The built server as its own process (`npm start` without the build), so a test can kill it like a crash would. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private printed = '';

  constructor(
    readonly port: number,
    private readonly env: Record<string, string> = {},
  ) {}

  /** The running process's id (for reading its memory from /proc). */
  get pid(): number {
    if (this.child?.pid === undefined) throw new Error('server not started');
    return this.child.pid;
  }

  /** What the server has printed on stdout since it was last started: its start banner and its JSON log lines. */
  get output(): string {
    return this.printed;
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
    this.printed = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start')), START_TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        this.printed += chunk.toString();
        if (this.printed.includes('VideoApp is running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
  }

  /** Resolves once the output matches `pattern` (it may arrive in later chunks than the line `start` waited for). */
  waitForOutput(pattern: RegExp, timeoutMs = START_TIMEOUT_MS): Promise<string> {
    const stdout = this.child?.stdout;
    if (!stdout) return Promise.reject(new Error('server not started'));
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pattern.test(this.printed)) return;
        done();
        resolve(this.printed);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`server output never matched ${pattern}: ${this.printed}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        stdout.off('data', check);
      };
      // Listeners run in order: the one `start` added has already appended the chunk.
      stdout.on('data', check);
      check();
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
