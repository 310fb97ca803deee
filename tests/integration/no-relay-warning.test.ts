// The operator of a server that people on other networks can reach, but that hands out no STUN or
// TURN, is told once at start that calls will only connect on the same network, and how to add a relay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../support/free-port.ts';
import { ServerProcess } from '../support/server-process.ts';

/** The start banner ends with an empty line (and the log lines of startup come before it). */
const END_OF_BANNER = /VideoApp is running[\s\S]*?\n\n/;

/** Starts the built server on every interface (as `npm start` does) with `env`, and returns what it printed at start. */
async function startupOutput(env: Record<string, string>): Promise<string> {
  const server = new ServerProcess(await freePort(), { LOG_LEVEL: 'info', ...env });
  try {
    await server.start();
    return await server.waitForOutput(END_OF_BANNER);
  } finally {
    await server.kill();
  }
}

const warnings = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; event: string; advice?: string })
    .filter((entry) => entry.event === 'no-relay-configured');

test('without STUN or TURN, one warning in the log and one plain line on the terminal say how to add a relay', async () => {
  // Empty values count as unset, whatever this machine's environment holds.
  const output = await startupOutput({ STUN_URLS: '', TURN_URLS: '', TURN_SECRET: '' });
  const logged = warnings(output);
  assert.equal(logged.length, 1, output);
  assert.equal(logged[0]!.level, 'warn');
  assert.match(logged[0]!.advice ?? '', /same network.*npm run start:turn.*deploy\/README\.md/);
  const plain = output.split('\n').filter((line) => line.trim().startsWith('Warning:'));
  assert.equal(plain.length, 1, output);
  assert.match(plain[0]!, /only connect between people on the same network/);
});

test('with a STUN server configured there is no warning', async () => {
  const output = await startupOutput({ STUN_URLS: 'stun:stun.example.com:3478', TURN_URLS: '', TURN_SECRET: '' });
  assert.match(output, /VideoApp is running/);
  assert.deepEqual(warnings(output), []);
  assert.ok(!output.includes('Warning:'), output);
});
