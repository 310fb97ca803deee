import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const MAIN = new URL('../../packages/server/dist/main.js', import.meta.url).pathname;
/** How long a started server may take to say it is listening: generous, as several may start at once on two busy cores. */
const START_TIMEOUT_MS = 30_000;

export interface ServerProcessOptions {
  /** Address it listens on; all interfaces unless given (network tests reach it from a namespace). */
  host?: string;
  /** Each line the server writes on stdout (its JSON log lines), e.g. to show them; dropped otherwise. */
  onLine?: (line: string) => void;
}

/** The built server as its own process (`npm start` without the build), so a test can kill it like a crash would. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  /** Everything the server printed on stdout since it was last started. */
  private printed = '';

  constructor(
    readonly port: number,
    private readonly env: Record<string, string> = {},
    private readonly options: ServerProcessOptions = {},
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

  /** Started and not yet exited (a process killed by a signal has no exit code, only a signal). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server and resolves when it says it is running. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [MAIN, '--port', String(this.port), '--host', this.options.host ?? '0.0.0.0'], {
      env: { ...process.env, LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    this.printed = '';
    child.stdout!.on('data', (chunk: Buffer) => (this.printed += chunk.toString()));
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server on port ${this.port} not running after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      lines.on('line', (line) => {
        this.options.onLine?.(line);
        if (line.includes('VideoApp is running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
  }

  /** Resolves once the output matches `pattern` (it may arrive after the line `start` waited for). */
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
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  /** Stops it as an operator would (SIGTERM: it tells its clients to reconnect elsewhere, then exits). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}
