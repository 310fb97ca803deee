import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, warnsOfNoRelay } from './no-relay-warning.ts';

const turn = { urls: ['turn:turn.example.com:3478?transport=udp'], secret: 's', ttlSeconds: 3600 };

test('a server other networks can reach, handing out no STUN or TURN, warns', () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.20', 'videoapp.example.com']) {
    assert.equal(warnsOfNoRelay({ host, stunUrls: [], turn: undefined }), true, host);
  }
});

test('STUN or TURN configured, or listening on loopback only, does not warn', () => {
  assert.equal(warnsOfNoRelay({ host: '0.0.0.0', stunUrls: ['stun:stun.example.com:3478'], turn: undefined }), false);
  assert.equal(warnsOfNoRelay({ host: '0.0.0.0', stunUrls: [], turn }), false);
  for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
    assert.equal(warnsOfNoRelay({ host, stunUrls: [], turn: undefined }), false, host);
  }
});

test('loopback is 127.0.0.0/8, ::1 and localhost; lookalikes are not', () => {
  assert.equal(isLoopbackHost('127.0.0.1'), true);
  assert.equal(isLoopbackHost('LOCALHOST'), true);
  assert.equal(isLoopbackHost('127.example.com'), false);
  assert.equal(isLoopbackHost('0.0.0.0'), false);
  assert.equal(isLoopbackHost('::'), false);
});
