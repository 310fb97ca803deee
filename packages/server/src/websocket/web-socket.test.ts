// ServerWebSocket over real sockets: an HTTP server's 'upgrade', the `ws` client a test would use, and raw TCP for what no polite client sends.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { MAX_BUFFERED_BYTES_PER_SOCKET, MAX_MESSAGE_BYTES } from '@videoapp/protocol';
import WebSocket from 'ws';
import { pokeAfterEnd, rawConnect } from '../../../../tests/support/raw-socket.ts';
import { OPCODE } from './frames.ts';
import { acceptUpgrade, handshakeProblem, refuseUpgrade } from './handshake.ts';
import { CLOSE_TIMEOUT_MS, ServerWebSocket, type WebSocketHandler } from './web-socket.ts';

/** Longest any step here waits before the test fails. */
const WAIT_MS = 5_000;
/** A message our test handler throws on, standing in for a bug in the real one. */
const HANDLER_BUG = 'make the handler throw';

/** The server's side of one connection: its socket and what its handler heard. */
class Peer implements WebSocketHandler {
  readonly texts: string[] = [];
  binaries = 0;
  protocolErrors: number[] = [];
  closedWith: number | undefined;
  closedAt = 0;
  readonly failures: unknown[] = [];
  constructor(readonly ws: ServerWebSocket) {}
  onText(text: string): void {
    if (text === HANDLER_BUG) throw new Error('a bug in the handler');
    this.texts.push(text);
  }
  onFailure(err: unknown): void {
    this.failures.push(err);
  }
  onBinary(): void {
    this.binaries++;
  }
  onProtocolError(code: number): void {
    this.protocolErrors.push(code);
  }
  onClose(code: number): void {
    assert.equal(this.closedWith, undefined, 'onClose is called once');
    this.closedWith = code;
    this.closedAt = Date.now();
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function upgradeRequest(port: number, headers: Record<string, string> = {}): string {
  const all = { Host: `127.0.0.1:${port}`, Upgrade: 'websocket', Connection: 'keep-alive, Upgrade', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Version': '13', ...headers };
  return `GET /ws HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/** Everything the server sends until it closes the connection (or WAIT_MS passes). */
function everythingSent(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('the server kept the connection open')), WAIT_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    pokeAfterEnd(socket);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Opens a connection by hand and returns it once the 101 has arrived, with any bytes after it. */
async function rawUpgrade(port: number, options: { allowHalfOpen?: boolean; firstFrame?: Buffer } = {}): Promise<Socket> {
  const socket = await rawConnect(port, options);
  socket.write(Buffer.concat([Buffer.from(upgradeRequest(port)), options.firstFrame ?? Buffer.alloc(0)]));
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(head));
      else resolve();
    };
    socket.on('data', onData);
  });
  return socket;
}

function maskedFrame(opcode: number, payload: Buffer | string, masked = true): Buffer {
  const body = Buffer.from(payload);
  assert.ok(body.length < 126);
  if (!masked) return Buffer.concat([Buffer.from([0x80 | opcode, body.length]), body]);
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | body.length]), mask, body.map((b, i) => b ^ mask[i % 4]!)]);
}

describe('ServerWebSocket over real sockets', () => {
  let server: Server;
  let port: number;
  const peers: Peer[] = [];
  const upgraded = new Set<Duplex>();
  const nextPeer = async (before: number): Promise<Peer> => (await until('a connection', () => peers.length > before), peers[before]!);

  before(async () => {
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head: Buffer) => {
      upgraded.add(socket);
      const problem = handshakeProblem(req);
      if (problem) return refuseUpgrade(socket, problem);
      if (!acceptUpgrade(req, socket)) return;
      const ws = new ServerWebSocket(socket);
      const peer = new Peer(ws);
      peers.push(peer);
      ws.start(peer, head);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const peer of peers) peer.ws.terminate();
    // Whatever a failed test left open must not keep the server (and the run) from finishing.
    for (const socket of upgraded) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test('a ws client connects (its deflate offer declined), exchanges text both ways, gets pongs, and closes with its code', async () => {
    const count = peers.length;
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: true });
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    assert.equal(client.extensions, '');
    const peer = await nextPeer(count);

    const large = 'é'.repeat(MAX_MESSAGE_BYTES / 2);
    client.send('{"type":"hello"}');
    client.send(large);
    await until('two texts', () => peer.texts.length === 2);
    assert.deepEqual(peer.texts, ['{"type":"hello"}', large]);

    const received: string[] = [];
    client.on('message', (data, isBinary) => received.push(isBinary ? 'binary!' : data.toString()));
    peer.ws.send('welcome ✓');
    peer.ws.send(large);
    await until('two replies', () => received.length === 2);
    assert.deepEqual(received, ['welcome ✓', large]);

    const pong = new Promise<string>((resolve) => client.once('pong', (data) => resolve(data.toString())));
    client.ping('are you there');
    assert.equal(await pong, 'are you there');

    const closed = new Promise<number>((resolve) => client.once('close', resolve));
    client.close(4000, 'bye');
    assert.equal(await closed, 4000, 'the server echoes the code');
    await until('the server to see the close', () => peer.closedWith !== undefined);
    assert.equal(peer.closedWith, 4000);
  });

  test('the server closes with its code and reason; the client answers, and later sends are dropped', async () => {
    const count = peers.length;
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve) => client.once('open', resolve));
    const peer = await nextPeer(count);
    const received: string[] = [];
    client.on('message', (data) => received.push(data.toString()));
    const closed = new Promise<[number, string]>((resolve) => client.once('close', (code, reason) => resolve([code, reason.toString()])));
    const started = Date.now();
    peer.ws.send('last words');
    peer.ws.close(4003, 'no hello');
    peer.ws.send('after close');
    assert.deepEqual(await closed, [4003, 'no hello']);
    await until('the server to see the close', () => peer.closedWith !== undefined);
    assert.ok(peer.closedAt - started < CLOSE_TIMEOUT_MS, 'a polite client completes the closing handshake quickly');
    assert.deepEqual(received, ['last words']);
  });

  test('a peer that never answers our close frame is dropped after CLOSE_TIMEOUT_MS', async () => {
    const count = peers.length;
    const socket = await rawUpgrade(port, { allowHalfOpen: true });
    const peer = await nextPeer(count);
    socket.on('data', () => {});
    const started = Date.now();
    peer.ws.close(1000, '');
    await until('the socket to be dropped', () => peer.closedWith !== undefined);
    const waited = peer.closedAt - started;
    assert.ok(waited >= CLOSE_TIMEOUT_MS - 50 && waited < CLOSE_TIMEOUT_MS + 1000, `dropped after ${waited} ms`);
    assert.equal(peer.closedWith, 1006);
    socket.destroy();
  });

  test('bytes sent right behind the handshake are read as the first frame', async () => {
    const count = peers.length;
    const socket = await rawUpgrade(port, { firstFrame: maskedFrame(OPCODE.text, '{"type":"hello"}') });
    const peer = await nextPeer(count);
    await until('the first text', () => peer.texts.length === 1);
    assert.deepEqual(peer.texts, ['{"type":"hello"}']);
    socket.destroy();
  });

  test('a protocol error is reported, answered with its close code, and the connection ends', async () => {
    const count = peers.length;
    const socket = await rawUpgrade(port);
    const peer = await nextPeer(count);
    const sent = everythingSent(socket);
    socket.write(maskedFrame(OPCODE.text, 'not masked', false));
    assert.deepEqual([...(await sent)], [0x88, 2, 0x03, 0xea]);
    await until('the close', () => peer.closedWith !== undefined);
    assert.deepEqual(peer.protocolErrors, [1002]);
    assert.deepEqual(peer.texts, []);
  });

  test('a connection reset becomes a close (1006), never an uncaught error', async () => {
    const count = peers.length;
    const socket = await rawUpgrade(port);
    const peer = await nextPeer(count);
    socket.resetAndDestroy();
    await until('the close', () => peer.closedWith !== undefined);
    assert.equal(peer.closedWith, 1006);
    peer.ws.send('into the void');
  });

  test('a peer that stops reading is dropped once MAX_BUFFERED_BYTES_PER_SOCKET is queued for it', async () => {
    const count = peers.length;
    const socket = await rawUpgrade(port);
    socket.pause();
    const peer = await nextPeer(count);
    const message = 'm'.repeat(MAX_MESSAGE_BYTES);
    // Loopback kernel buffers hold a few MB; past them the server's own queue grows, and must stop at the limit.
    const maxSends = 2_000;
    let sends = 0;
    while (peer.closedWith === undefined && sends < maxSends) {
      peer.ws.send(message);
      sends++;
      if (sends % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await until('the close', () => peer.closedWith !== undefined);
    assert.ok(sends < maxSends, 'the server stopped queueing');
    console.log(`dropped after ${sends} messages of ${MAX_MESSAGE_BYTES} bytes (limit ${MAX_BUFFERED_BYTES_PER_SOCKET} queued)`);
    socket.destroy();
  });

  test('a handler that throws costs only its own socket: the owner hears why, the process and the other sockets go on', async () => {
    const count = peers.length;
    const open = async () => {
      const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      await new Promise((resolve) => client.once('open', resolve));
      return client;
    };
    const victim = await open();
    const bystander = await open();
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

  test('handshakes that are not WebSocket version 13 with a proper key are refused', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'Sec-WebSocket-Version': '8' }, /^HTTP\/1\.1 426 [^]*\r\nSec-WebSocket-Version: 13\r\n/],
      [{ 'Sec-WebSocket-Key': 'short' }, /^HTTP\/1\.1 400 /],
      [{ 'Sec-WebSocket-Key': randomBytes(17).toString('base64') }, /^HTTP\/1\.1 400 /],
      [{ Upgrade: 'h2c' }, /^HTTP\/1\.1 400 /],
    ];
    for (const [headers, expected] of cases) {
      // A client that keeps its side open: the server must still close the connection once it has answered.
      const socket = await rawConnect(port, { allowHalfOpen: true });
      const answer = everythingSent(socket);
      socket.write(upgradeRequest(port, headers));
      assert.match((await answer).toString('latin1'), expected, JSON.stringify(headers));
    }
  });
});
