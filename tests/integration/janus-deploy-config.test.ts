// deploy/janus/ is the configuration an operator installs: it must hold no real
// secret, load only what VideoApp uses (as the generated development one does),
// and, once filled in, run a Janus our server can create rooms in.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '@videoapp/server';
import { JanusAdapter } from '../../packages/server/src/sfu/janus.ts';
import { debianJanusLibraries, disabledBesides, freshJanusSecrets, JANUS_PLUGIN, JANUS_TRANSPORT, runJanus } from '../../scripts/janus-server.ts';
import { freePort } from '../support/free-port.ts';
import { missing } from '../support/requires.ts';

const DEPLOY_FOLDER = new URL('../../deploy/janus/', import.meta.url).pathname;
const read = (name: string) => readFileSync(join(DEPLOY_FOLDER, name), 'utf8');
/** A setting's value in a .jcfg file, where it is set (not commented out). */
const settingIn = (text: string, key: string) => new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`, 'm').exec(text)?.[1];

test('the production Janus configuration ships no secret: each one is left to fill in', () => {
  const core = read('janus.jcfg');
  assert.equal(settingIn(core, 'api_secret'), 'FILL IN');
  assert.equal(settingIn(core, 'admin_secret'), 'FILL IN');
  assert.equal(settingIn(read('janus.plugin.videoroom.jcfg'), 'admin_key'), 'FILL IN');
  assert.match(settingIn(read('janus.transport.websockets.jcfg'), 'ws_ip') ?? '', /^FILL IN/);
  const settings = readdirSync(DEPLOY_FOLDER).flatMap((name) =>
    read(name)
      .split('\n')
      .filter((line) => !line.trim().startsWith('#')),
  );
  assert.ok(!settings.some((line) => line.includes('janusoverlord')), "Debian's public admin_secret is set nowhere");
});

test('the production Janus configuration disables every plugin, transport and logger Debian ships but VideoRoom and WebSockets', { skip: missing('janus') }, () => {
  const libraries = debianJanusLibraries();
  const core = read('janus.jcfg');
  const section = (name: string) => new RegExp(`^${name}: \\{[^}]*\\}`, 'm').exec(core)?.[0] ?? '';
  const disabled = (name: string) => (settingIn(section(name), 'disable') ?? '').split(',').sort();
  assert.deepEqual(disabled('plugins'), disabledBesides(libraries.plugins, JANUS_PLUGIN));
  assert.deepEqual(disabled('transports'), disabledBesides(libraries.transports, JANUS_TRANSPORT));
  assert.deepEqual(disabled('loggers'), libraries.loggers);
});

test('filled in, the production Janus configuration runs a Janus the SFU adapter creates rooms in', { skip: missing('janus') }, async () => {
  const folder = mkdtempSync(join(tmpdir(), 'videoapp-janus-deploy-'));
  const port = await freePort();
  const secrets = freshJanusSecrets();
  // What an operator fills in, plus what differs on a test machine: the config folder and the ports.
  const filled: Record<string, [RegExp, string][]> = {
    'janus.jcfg': [
      [/configs_folder = "[^"]*"/, `configs_folder = "${folder}"`],
      [/api_secret = "FILL IN"/, `api_secret = "${secrets.apiSecret}"`],
      [/admin_secret = "FILL IN"/, `admin_secret = "${secrets.adminSecret}"`],
      [/rtp_port_range = "[^"]*"/, 'rtp_port_range = "20000-20999"'],
    ],
    'janus.transport.websockets.jcfg': [
      [/ws_ip = "[^"]*"/, 'ws_ip = "127.0.0.1"'],
      [/ws_port = \d+/, `ws_port = ${port}`],
    ],
    'janus.plugin.videoroom.jcfg': [[/admin_key = "FILL IN"/, `admin_key = "${secrets.adminKey}"`]],
  };
  cpSync(DEPLOY_FOLDER, folder, { recursive: true });
  for (const [name, replacements] of Object.entries(filled)) {
    let text = read(name);
    for (const [pattern, value] of replacements) {
      assert.match(text, pattern, `${name} has ${pattern}`);
      text = text.replace(pattern, value);
    }
    writeFileSync(join(folder, name), text, { mode: 0o600 });
  }
  const janus = await runJanus(folder, `ws://127.0.0.1:${port}`);
  try {
    const loaded = [...janus.log().matchAll(/Loading (?:transport )?plugin '([^']+)'/g)].map((m) => m[1]);
    assert.deepEqual(loaded.sort(), [JANUS_PLUGIN, JANUS_TRANSPORT].sort(), 'Janus loaded only the VideoRoom plugin and the WebSocket transport');
    const adapter = await JanusAdapter.connect({ url: janus.url, apiSecret: secrets.apiSecret, adminKey: secrets.adminKey }, createLogger('silent'));
    const room = await adapter.createRoom('room-on-the-production-configuration');
    await adapter.destroyRoom(room);
    await adapter.close();
  } finally {
    await janus.stop();
    rmSync(folder, { recursive: true, force: true });
  }
});
