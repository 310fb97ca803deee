/** Logs as JSON lines on stdout. Callers pass facts, never SDP, candidate addresses or chat text. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export function createLogger(minimum: LogLevel | 'silent', write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const floor = minimum === 'silent' ? Infinity : RANK[minimum];
  const at = (level: LogLevel) => (event: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < floor) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
