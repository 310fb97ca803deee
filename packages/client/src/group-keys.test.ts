import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameCryptor } from './frame-cryptor.ts';
import { GroupKeys, KEY_SWITCH_DELAY_MS } from './group-keys.ts';

/** Records what a GroupKeys tells the frame worker. */
class RecordingCryptor implements FrameCryptor {
  readonly connectionConfig = {};
  sendKeys: number[] = [];
  receiveKeys = new Map<number, string>();
  encrypting: boolean | undefined;
  protectSender(): void {}
  protectReceiver(): void {}
  setOwners(): void {}
  setSendKey(keyId: number): void {
    this.sendKeys.push(keyId);
  }
  addReceiveKey(peerId: string, keyId: number): void {
    this.receiveKeys.set(keyId, peerId);
  }
  forgetKey(keyId: number): void {
    this.receiveKeys.delete(keyId);
  }
  setEncrypting(on: boolean): void {
    this.encrypting = on;
  }
  close(): void {}
}

/** People in one room whose key messages the "server" relays to each other, as ours does. */
function room() {
  const people = new Map<string, { keys: GroupKeys; cryptor: RecordingCryptor | undefined }>();
  const join = (id: string, able = true) => {
    const cryptor = able ? new RecordingCryptor() : undefined;
    const keys = new GroupKeys(cryptor);
    keys.on('send', (msg) => {
      setTimeout(() => {
        if (msg.type === 'e2ee-key') for (const [other, p] of people) if (other !== id && (msg.to === undefined || msg.to === other)) p.keys.onPublicKey(id, msg.publicKey);
        if (msg.type === 'e2ee-media-key') people.get(msg.to)?.keys.onMediaKey(id, msg.keyId, msg.wrapped);
      });
    });
    const present = [...people.keys()].filter((other) => other !== id);
    people.set(id, { keys, cryptor });
    keys.start(id, 'room-1', present);
    return { keys, cryptor: cryptor as RecordingCryptor };
  };
  const leave = (id: string) => {
    people.get(id)?.keys.close();
    people.delete(id);
    for (const p of people.values()) p.keys.peerLeft(id);
  };
  /** The page reloads: a new GroupKeys under the same id, the others told nothing of it. */
  const reload = (id: string) => {
    people.get(id)?.keys.close();
    return join(id);
  };
  return { join, leave, reload };
}

async function eventually(what: string, ok: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('everyone gets everyone else’s media key, and each pair derives one verification code', async () => {
  const r = room();
  const ada = r.join('ada');
  const bo = r.join('bo');
  const cy = r.join('cy');
  const holds = (at: RecordingCryptor, from: RecordingCryptor, peerId: string) => at.receiveKeys.get(from.sendKeys.at(-1)!) === peerId;
  await eventually(
    'keys everywhere',
    () => holds(ada.cryptor, bo.cryptor, 'bo') && holds(ada.cryptor, cy.cryptor, 'cy') && holds(bo.cryptor, ada.cryptor, 'ada') && holds(cy.cryptor, bo.cryptor, 'bo'),
  );
  await eventually('codes', () => [ada.keys.codeOf('bo'), bo.keys.codeOf('ada'), cy.keys.codeOf('ada')].every((c) => c !== undefined));
  assert.equal(ada.keys.codeOf('bo'), bo.keys.codeOf('ada'));
  assert.equal(ada.keys.codeOf('cy'), cy.keys.codeOf('ada'));
  assert.notEqual(ada.keys.codeOf('bo'), ada.keys.codeOf('cy'));
  assert.deepEqual(ada.keys.status, { kind: 'encrypted' });
  assert.equal(ada.cryptor.encrypting, true);
});

test('when someone leaves, the others make a new key, send it to those who stay, and encrypt with it after KEY_SWITCH_DELAY_MS', async () => {
  const r = room();
  const ada = r.join('ada');
  const bo = r.join('bo');
  r.join('cy');
  await eventually('bo holds ada’s key', () => bo.cryptor.receiveKeys.has(ada.cryptor.sendKeys[0]!));
  r.leave('cy');
  const leftAt = Date.now();
  await eventually('ada switched to a new key', () => ada.cryptor.sendKeys.length === 2, KEY_SWITCH_DELAY_MS * 5);
  assert.ok(Date.now() - leftAt >= KEY_SWITCH_DELAY_MS - 50, 'the new key waited for the others to have it');
  assert.equal(bo.cryptor.receiveKeys.get(ada.cryptor.sendKeys[1]!), 'ada', 'bo held the new key when ada started using it');
});

test('a member who cannot encrypt turns the room plain for everyone, and it encrypts again once they leave', async () => {
  const r = room();
  const ada = r.join('ada');
  r.join('bo');
  await eventually('encrypted', () => ada.cryptor.encrypting === true && ada.keys.codeOf('bo') !== undefined);
  const dan = r.join('dan', false);
  await eventually('plain', () => ada.cryptor.encrypting === false);
  assert.deepEqual(ada.keys.status, { kind: 'unencrypted', selfUnable: false, unable: ['dan'] });
  assert.deepEqual(dan.keys.status, { kind: 'unencrypted', selfUnable: true, unable: [] });
  r.leave('dan');
  assert.equal(ada.cryptor.encrypting, true);
});

test('someone whose page reloaded (a new key pair under the same id) gets our public key and media key again', async () => {
  const r = room();
  const ada = r.join('ada');
  r.join('bo');
  await eventually('bo’s code', () => ada.keys.codeOf('bo') !== undefined);
  const before = ada.keys.codeOf('bo');
  const bo = r.reload('bo');
  await eventually('a new code with the new bo', () => ada.keys.codeOf('bo') !== undefined && ada.keys.codeOf('bo') !== before);
  await eventually('the new bo holds ada’s latest key', () => bo.cryptor.receiveKeys.get(ada.cryptor.sendKeys.at(-1)!) === 'ada', KEY_SWITCH_DELAY_MS * 5);
  assert.equal(bo.keys.codeOf('ada'), ada.keys.codeOf('bo'));
});
