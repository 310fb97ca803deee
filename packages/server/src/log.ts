import { createHash } from 'node:crypto';

/**
 * Logs as JSON lines on stdout. Callers pass facts, never SDP, candidate
 * addresses, chat text, display names, passcodes, host keys or room IDs
 * (a room ID is all it takes to join: logs name a room by `roomTag`).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** A stable, non-reversible name for a room in logs, so an operator can follow one room without the log granting entry to it. */
export function roomTag(roomId: string): string {
  return createHash('sha256').update(`videoapp-log:${roomId}`).digest('hex').slice(0, 12);
}

export function createLogger(minimum: LogLevel | 'silent', write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const floor = minimum === 'silent' ? Infinity : RANK[minimum];
  const at = (level: LogLevel) => (event: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < floor) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
