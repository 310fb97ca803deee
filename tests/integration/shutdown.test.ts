// Graceful shutdown of the real built server process (`node packages/server/dist/main.js`) on SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pairInRoom, WsTestClient } from '../support/ws-client.ts';

const MAIN = fileURLToPath(new URL('../../packages/server/dist/main.js', import.meta.url));
/** The server's own deadline (SHUTDOWN_DEADLINE_MS in packages/server/src/app.ts). */
const SHUTDOWN_DEADLINE_MS = 5_000;
/** Twice that: room for a process exit on a busy machine, and still an exit the server made on its own. */
const EXIT_BOUND_MS = 2 * SHUTDOWN_DEADLINE_MS;

/** Starts the built server on an ephemeral loopback port and resolves with its URL once it says it is running. */
function startServerProcess(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  assert.ok(existsSync(MAIN), `${MAIN} is missing: run npm run build first`);
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /VideoApp is running at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

describe('SIGTERM', () => {
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  test('every client is told goodbye and to reconnect, and the process exits 0 within the bound', async (t) => {
    const server = await startServerProcess();
    child = server.child;
    const { a, b } = await pairInRoom(server.url);
    const idle = await WsTestClient.greeted(server.url);
    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      const started = Date.now();
      server.child.once('exit', (code) => resolve({ code, ms: Date.now() - started }));
    });
    server.child.kill('SIGTERM');
    for (const client of [a, b, idle]) {
      assert.equal((await client.next('goodbye')).retryMs, 500);
      assert.deepEqual(await client.waitClosed(), { code: 1012, reason: 'server restarting' });
    }
    const { code, ms } = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still running')), EXIT_BOUND_MS))]);
    assert.equal(code, 0, server.output());
    assert.ok(ms < EXIT_BOUND_MS);
    t.diagnostic(`exited ${ms} ms after SIGTERM (its own deadline: ${SHUTDOWN_DEADLINE_MS} ms)`);
    await assert.rejects(fetch(`${server.url}/healthz`));
    // Its log lines stayed JSON to the end.
    const logLines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    assert.ok(logLines.length >= 3);
    for (const line of logLines) JSON.parse(line);
  });
});
