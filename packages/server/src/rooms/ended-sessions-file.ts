import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EndedSessionLog } from './ended-sessions.ts';

/** How often remembered sessions whose every token has expired are forgotten. */
export const ENDED_SESSIONS_SWEEP_MS = 60_000;

/**
 * Ended sessions in this process's memory and, given a file, on disk too. A
 * session is remembered only until the last token it was given expires, so
 * the memory is bounded by how many sessions end in one token lifetime. With a
 * file, the list outlives a restart: the resume secret does, so without it a
 * restarted process would honour the token of someone who had hung up.
 */
export class EndedSessions implements EndedSessionLog {
  /** Peer id → epoch ms when its last token expires. */
  private readonly until = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  /** Appends run one after another, so the file never interleaves two lines. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string | undefined,
    /** How long after a session ends its last token may still be presented. */
    private readonly tokenLifetimeMs: number,
    private readonly now: () => number,
    private readonly onWriteError: (err: unknown) => void = () => {},
  ) {
    this.sweeper = setInterval(() => this.sweep(), ENDED_SESSIONS_SWEEP_MS);
    this.sweeper.unref();
  }

  /** Kept in memory only: what a test or a throwaway server needs. */
  static inMemory(tokenLifetimeMs: number, now: () => number = Date.now): EndedSessions {
    return new EndedSessions(undefined, tokenLifetimeMs, now);
  }

  /** Kept in `file` as lines of `<peer id> <expiry>`, read back (and compacted) at start. */
  static async inFile(file: string, tokenLifetimeMs: number, onWriteError: (err: unknown) => void, now: () => number = Date.now): Promise<EndedSessions> {
    const ended = new EndedSessions(file, tokenLifetimeMs, now, onWriteError);
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [peerId, expiry] = line.split(' ');
      const at = Number(expiry);
      if (peerId && Number.isFinite(at) && at > now()) ended.until.set(peerId, at);
    }
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, ended.lines(), { mode: 0o600 });
    return ended;
  }

  /** Remembers that `peerId`'s session ended; resolves once that is on disk (when there is a file). */
  end(peerId: string): Promise<void> {
    const at = this.now() + this.tokenLifetimeMs;
    this.until.set(peerId, at);
    const file = this.file;
    if (!file) return Promise.resolve();
    this.writing = this.writing.then(() => appendFile(file, `${peerId} ${at}\n`)).catch(this.onWriteError);
    return this.writing;
  }

  async has(peerId: string): Promise<boolean> {
    const at = this.until.get(peerId);
    return at !== undefined && at > this.now();
  }

  get size(): number {
    return this.until.size;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.now();
    const before = this.until.size;
    for (const [peerId, at] of this.until) if (at <= now) this.until.delete(peerId);
    // Rewritten with the live entries only, so the file never holds more than one token lifetime of endings.
    if (this.file && this.until.size < before) {
      const file = this.file;
      this.writing = this.writing.then(() => writeFile(file, this.lines())).catch(this.onWriteError);
    }
  }

  private lines(): string {
    return [...this.until].map(([peerId, at]) => `${peerId} ${at}\n`).join('');
  }
}
