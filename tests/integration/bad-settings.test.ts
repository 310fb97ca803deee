// A bad setting stops the real server process at start, with a message naming the setting and what it allows.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

const MAIN = new URL('../../packages/server/dist/main.js', import.meta.url).pathname;

async function startWith(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

test('an unknown LOG_LEVEL stops the server with its allowed values and a non-zero exit', async () => {
  const { code, stderr } = await startWith({ LOG_LEVEL: 'loud' });
  assert.equal(code, 2);
  assert.equal(stderr.trim(), 'videoapp: LOG_LEVEL (--log-level) must be one of debug, info, warn, error, silent, got "loud"');
});

test('an unknown flag and a bad number stop it the same way', async () => {
  assert.deepEqual(await startWith({}, ['--log-levle', 'info']), { code: 2, stderr: "videoapp: Unknown option '--log-levle' (see the configuration table in the README)\n" });
  const { code, stderr } = await startWith({ SOCKETS_PER_ADDRESS: 'many' });
  assert.equal(code, 2);
  assert.match(stderr, /SOCKETS_PER_ADDRESS \(--sockets-per-address\) must be a whole number/);
});
