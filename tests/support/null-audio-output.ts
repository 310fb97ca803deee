// A sound server with no speakers, for Firefox tests that need Web Audio to run. Firefox drives an
// AudioContext from its audio output; on a machine with no sound device it stays "suspended" for
// ever, and so would anything the page processes through Web Audio (the app's noise suppression).
// PulseAudio with a null sink (Debian's pulseaudio) keeps real time and plays into nothing.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long PulseAudio may take to open its socket. */
const START_TIMEOUT_MS = 10_000;

export class NullAudioOutput {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<NullAudioOutput> {
    const dir = mkdtempSync(join(tmpdir(), 'videoapp-pulse-'));
    const socket = join(dir, 'native');
    // -n: no default configuration (no real device is looked for); HOME and XDG_RUNTIME_DIR keep its files in `dir`.
    const child = spawn(
      'pulseaudio',
      ['-n', '--daemonize=no', '--exit-idle-time=-1', '--use-pid-file=no', '--log-target=stderr', '-L', 'module-null-sink', '-L', `module-native-protocol-unix auth-anonymous=1 socket=${socket}`],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir } },
    );
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-2000)));
    const output = new NullAudioOutput(child, dir);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!existsSync(socket)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await output.close();
        throw new Error(`pulseaudio did not start: ${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return output;
  }

  /** The environment that points a browser at this sound server. */
  get env(): Record<string, string> {
    return { PULSE_SERVER: `unix:${join(this.dir, 'native')}` };
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
