import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntakeGate, MAX_MESSAGES_IN_FLIGHT, RESUME_READING_AT } from './intake-gate.ts';

class FakeSocket {
  paused = false;
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
}

function deferred() {
  let settle!: () => void;
  const promise = new Promise<void>((resolve) => (settle = resolve));
  return { promise, settle };
}

test('reading pauses on every socket at MAX_MESSAGES_IN_FLIGHT and resumes at RESUME_READING_AT', async () => {
  const sockets = [new FakeSocket(), new FakeSocket()];
  const gate = new IntakeGate(() => sockets);
  const pending = Array.from({ length: MAX_MESSAGES_IN_FLIGHT }, deferred);
  for (const p of pending.slice(0, -1)) gate.track(p.promise);
  assert.ok(gate.reading && sockets.every((s) => !s.paused), 'below the limit everyone is read');
  gate.track(pending.at(-1)!.promise);
  assert.ok(!gate.reading && sockets.every((s) => s.paused), 'at the limit nobody is read');

  const late = new FakeSocket();
  gate.admit(late);
  assert.ok(late.paused, 'a socket opened meanwhile waits too');
  sockets.push(late);

  const toSettle = MAX_MESSAGES_IN_FLIGHT - RESUME_READING_AT;
  for (const p of pending.slice(0, toSettle - 1)) p.settle();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(!gate.reading, 'still paused above the resume mark');
  pending[toSettle - 1]!.settle();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(gate.reading && sockets.every((s) => !s.paused), 'resumed at the mark');
  assert.equal(gate.messagesInFlight, RESUME_READING_AT);
  assert.equal(gate.pauses, 1);
});

test('a failed handling counts as settled', async () => {
  const gate = new IntakeGate(() => []);
  gate.track(Promise.reject(new Error('no')));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(gate.messagesInFlight, 0);
});
