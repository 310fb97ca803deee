import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameCryptoCommand } from './frame-crypto-worker.ts';
import { WorkerFrameCryptor, withPending } from './frame-cryptor.ts';

/** A worker that records what it is sent; `made` counts how many were started. */
function workerFactory() {
  const made: { received: FrameCryptoCommand['type'][] }[] = [];
  const create = () => {
    const worker = { received: [] as FrameCryptoCommand['type'][], postMessage: (c: FrameCryptoCommand) => worker.received.push(c.type), terminate() {} };
    made.push(worker);
    return worker as unknown as Worker;
  };
  return { made, create };
}

/** A sender as Chromium's older API has it: one pair of encoded streams. */
const sender = () => ({ createEncodedStreams: () => ({ readable: {}, writable: {} }) }) as unknown as RTCRtpSender;
const key = new Uint8Array(16);

test('keys alone never start the worker: a mesh call loads none', () => {
  const workers = workerFactory();
  const cryptor = new WorkerFrameCryptor('encoded-streams', workers.create);
  cryptor.setSendKey(1, key);
  cryptor.addReceiveKey('bob', 7, key);
  cryptor.setEncrypting(true);
  assert.equal(workers.made.length, 0);
  assert.equal(cryptor.started, false);
  cryptor.close();
});

test('the first protected sender starts the worker, which gets the waiting keys first, once', () => {
  const workers = workerFactory();
  const cryptor = new WorkerFrameCryptor('encoded-streams', workers.create);
  cryptor.setSendKey(1, key);
  cryptor.addReceiveKey('bob', 7, key);
  cryptor.protectSender(sender(), 'video');
  cryptor.protectSender(sender(), 'audio');
  cryptor.setOwners([['0', 'bob']]);
  assert.equal(workers.made.length, 1);
  assert.deepEqual(workers.made[0]!.received, ['send-key', 'receive-key', 'streams', 'streams', 'owners']);
});

test('after close nothing starts a worker', () => {
  const workers = workerFactory();
  const cryptor = new WorkerFrameCryptor('encoded-streams', workers.create);
  cryptor.setSendKey(1, key);
  cryptor.close();
  cryptor.protectSender(sender(), 'video');
  assert.equal(workers.made.length, 0);
});

test('waiting keys keep only what the worker would still hold', () => {
  let pending: Parameters<typeof withPending>[0] = [];
  for (const command of [
    { type: 'send-key', keyId: 1, raw: key },
    { type: 'receive-key', peerId: 'bob', keyId: 7, raw: key },
    { type: 'receive-key', peerId: 'eve', keyId: 8, raw: key },
    { type: 'encrypting', on: true },
    { type: 'send-key', keyId: 2, raw: key },
    { type: 'forget-key', keyId: 7 },
    { type: 'encrypting', on: false },
  ] as const) {
    pending = withPending(pending, command);
  }
  assert.deepEqual(
    pending.map((c) => [c.type, 'keyId' in c ? c.keyId : 'on' in c ? c.on : undefined]),
    [
      ['receive-key', 8],
      ['send-key', 2],
      ['encrypting', false],
    ],
  );
});
