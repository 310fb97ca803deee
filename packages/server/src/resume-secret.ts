import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The secret that signs resume tokens, kept in the data folder so that a
 * restarted server (a crash, a redeploy) still honours the tokens its clients
 * hold and the call carries on. RESUME_SECRET, when set, wins.
 */
export function persistentResumeSecret(dataDir: string): string {
  const path = join(dataDir, 'resume-secret');
  try {
    const kept = readFileSync(path, 'utf8').trim();
    if (kept.length >= 32) return kept;
  } catch {
    // Not there yet: made below.
  }
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}
