// WebSocketUpgrades and WsSocket over real sockets: what a SocketHandler hears, and the limits the adapter adds to ws.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { MAX_BUFFERED_BYTES_PER_SOCKET, MAX_MESSAGE_BYTES } from '@videoapp/protocol';
import WebSocket from 'ws';
import { clientFrame, closeCodeOf, rawUpgrade } from '../../../../tests/support/raw-socket.ts';
import type { ProtocolProblem, Socket, SocketHandler } from './socket.ts';
import { CLOSE_TIMEOUT_MS, WebSocketUpgrades } from './upgrade.ts';

/** Longest any step here waits before the test fails. */
const WAIT_MS = 5_000;
/** A message our test handler throws on, standing in for a bug in the real one. */
const HANDLER_BUG = 'make the handler throw';
const TEXT_OPCODE = 0x1;

/** The server's side of one connection: its socket and what its handler heard. */
class Peer implements SocketHandler {
  readonly texts: string[] = [];
  binaries = 0;
  readonly problems: ProtocolProblem[] = [];
  readonly failures: unknown[] = [];
  closedWith: number | undefined;
  closedAt = 0;
  constructor(readonly socket: Socket) {}
  onText(text: string): void {
    if (text === HANDLER_BUG) throw new Error('a bug in the handler');
    this.texts.push(text);
  }
  onBinary(): void {
    this.binaries++;
  }
  onProtocolError(problem: ProtocolProblem): void {
    this.problems.push(problem);
  }
  onClose(code: number): void {
    assert.equal(this.closedWith, undefined, 'onClose is called once');
    this.closedWith = code;
    this.closedAt = Date.now();
  }
  onFailure(err: unknown): void {
    this.failures.push(err);
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('WsSocket over real sockets', () => {
  let server: Server;
  let port: number;
  const peers: Peer[] = [];
  const upgraded = new Set<Duplex>();
  const nextPeer = async (before: number): Promise<Peer> => {
    await until('a connection', () => peers.length > before);
    return peers[before]!;
  };
  const openClient = async (): Promise<WebSocket> => {
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    return client;
  };

  before(async () => {
    const upgrades = new WebSocketUpgrades(() => {});
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head: Buffer) => {
      upgraded.add(socket);
      upgrades.accept(req, socket, head, (opened) => {
        const peer = new Peer(opened);
        peers.push(peer);
        return peer;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    // Whatever a failed test left open must not keep the server (and the run) from finishing.
    for (const socket of upgraded) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test('text both ways; once the server has closed, it neither sends nor hears more, and the client gets its code and reason', async () => {
    const count = peers.length;
    const client = await openClient();
    const peer = await nextPeer(count);
    const received: string[] = [];
    client.on('message', (data) => received.push(data.toString()));
    client.send('hello ✓');
    await until('the first text', () => peer.texts.length === 1);

    const closed = new Promise<[number, string]>((resolve) => client.once('close', (code, reason) => resolve([code, reason.toString()])));
    peer.socket.send('last words');
    peer.socket.close(4003, 'no hello');
    peer.socket.send('after close');
    client.send('too late');
    assert.deepEqual(await closed, [4003, 'no hello']);
    await until('the server to see the close', () => peer.closedWith !== undefined);
    assert.deepEqual(received, ['last words']);
    assert.deepEqual(peer.texts, ['hello ✓']);
  });

  test('a binary message is reported as such, never as text', async () => {
    const count = peers.length;
    const client = await openClient();
    const peer = await nextPeer(count);
    client.send(Buffer.from('{"type":"hello"}'));
    await until('the binary message', () => peer.binaries === 1);
    assert.deepEqual(peer.texts, []);
    client.close();
  });

  test('a peer that never answers our close frame is dropped after CLOSE_TIMEOUT_MS', async () => {
    const count = peers.length;
    const { socket } = await rawUpgrade(port);
    const peer = await nextPeer(count);
    socket.on('data', () => {});
    const started = Date.now();
    peer.socket.close(1000, '');
    await until('the socket to be dropped', () => peer.closedWith !== undefined);
    const waited = peer.closedAt - started;
    assert.ok(waited >= CLOSE_TIMEOUT_MS - 50 && waited < CLOSE_TIMEOUT_MS + 1000, `dropped after ${waited} ms`);
    assert.equal(peer.closedWith, 1006);
    socket.destroy();
  });

  test('protocol errors are reported by kind and answered with their close code', async () => {
    const cases: { frame: Buffer; problem: ProtocolProblem; code: number }[] = [
      { frame: clientFrame(TEXT_OPCODE, Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20)), problem: 'message-too-large', code: 1009 },
      // A client must mask its frames.
      { frame: Buffer.from([0x80 | TEXT_OPCODE, 2, 0x68, 0x69]), problem: 'bad-frame', code: 1002 },
      { frame: clientFrame(TEXT_OPCODE, Buffer.from([0xc3, 0x28])), problem: 'bad-frame', code: 1007 },
    ];
    for (const { frame, problem, code } of cases) {
      const count = peers.length;
      const { socket } = await rawUpgrade(port);
      const peer = await nextPeer(count);
      const closeCode = closeCodeOf(socket);
      socket.write(frame);
      assert.equal(await closeCode, code, problem);
      await until('the close', () => peer.closedWith !== undefined);
      assert.deepEqual(peer.problems, [problem]);
      assert.deepEqual(peer.texts, []);
      socket.destroy();
    }
  });

  test('a connection reset becomes a close (1006), never an uncaught error', async () => {
    const count = peers.length;
    const { socket } = await rawUpgrade(port);
    const peer = await nextPeer(count);
    socket.resetAndDestroy();
    await until('the close', () => peer.closedWith !== undefined);
    assert.equal(peer.closedWith, 1006);
    peer.socket.send('into the void');
  });

  test('a peer that stops reading is dropped once MAX_BUFFERED_BYTES_PER_SOCKET is queued for it', async () => {
    const count = peers.length;
    const { socket } = await rawUpgrade(port);
    socket.pause();
    const peer = await nextPeer(count);
    const message = 'm'.repeat(MAX_MESSAGE_BYTES);
    // Loopback kernel buffers hold a few MB; past them the server's own queue grows, and must stop at the limit.
    const maxSends = 2_000;
    let sends = 0;
    while (peer.closedWith === undefined && sends < maxSends) {
      peer.socket.send(message);
      sends++;
      if (sends % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await until('the close', () => peer.closedWith !== undefined);
    assert.ok(sends < maxSends, 'the server stopped queueing');
    assert.ok(sends * MAX_MESSAGE_BYTES > MAX_BUFFERED_BYTES_PER_SOCKET, `dropped after only ${sends} messages`);
    console.log(`dropped after ${sends} messages of ${MAX_MESSAGE_BYTES} bytes (limit ${MAX_BUFFERED_BYTES_PER_SOCKET} queued)`);
    socket.destroy();
  });

  test('a handler that throws costs only its own socket: the owner hears why, the process and the other sockets go on', async () => {
    const count = peers.length;
    const victim = await openClient();
    const bystander = await openClient();
    await until('two connections', () => peers.length === count + 2);
    const [victimPeer, bystanderPeer] = [peers[count]!, peers[count + 1]!];
    const closed = new Promise<number>((resolve) => victim.once('close', resolve));
    victim.send(HANDLER_BUG);
    assert.equal(await closed, 1006, 'dropped without a closing handshake');
    assert.match(String(victimPeer.failures[0]), /a bug in the handler/);
    await until('the close to be seen', () => victimPeer.closedWith !== undefined);
    bystander.send('still here');
    await until('the bystander message', () => bystanderPeer.texts.includes('still here'));
    bystander.close();
  });
});
