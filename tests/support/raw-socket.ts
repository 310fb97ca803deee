import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A TCP connection to the server that speaks only what a test writes: for
 * handshakes and frames no well-behaved client would send. `allowHalfOpen`
 * keeps our side open after the server ends its side, as a hostile client would.
 */
export function rawConnect(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the milliseconds until the server closes `socket` (or rejects after `timeoutMs`). */
export function closedWithin(socket: Socket, timeoutMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`server kept the connection open for ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', () => {});
    // Read (and ignore) whatever the server says, e.g. a 408, so its FIN is seen.
    socket.resume();
    pokeAfterEnd(socket);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

/** Everything the server sends on `socket` (as latin1 text) until it closes the connection; rejects after `timeoutMs`. */
export function everythingSent(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`server kept the connection open for ${timeoutMs} ms; it sent: ${text}`));
    }, timeoutMs);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    pokeAfterEnd(socket);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** Times a half-open client pokes the server after its FIN, 50 ms apart. */
const HALF_OPEN_POKES = 40;

/**
 * A client that keeps its own side open (allowHalfOpen) sees no close when the
 * server lets go after its FIN: only writing tells, since a released connection
 * answers with a reset. A server still holding the connection answers nothing.
 */
export function pokeAfterEnd(socket: Socket): void {
  socket.once('end', () => {
    let pokes = 0;
    const poke = setInterval(() => {
      if (socket.destroyed || ++pokes > HALF_OPEN_POKES) return clearInterval(poke);
      socket.write('x');
    }, 50);
  });
}

/** Completes a WebSocket upgrade by hand; returns the socket and the server's response head. */
export async function rawUpgrade(port: number, extraHeaders: string[] = []): Promise<{ socket: Socket; head: string }> {
  const socket = await rawConnect(port);
  socket.write(
    [
      'GET /ws HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      ...extraHeaders,
      '',
      '',
    ].join('\r\n'),
  );
  const head = await new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve(text.slice(0, end));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed during upgrade: ${text}`)));
  });
  return { socket, head };
}

/** One masked client frame (a client must mask), optionally with RSV1 set as a compressed frame would have. */
export function clientFrame(opcode: number, payload: Buffer, options: { rsv1?: boolean } = {}): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | (options.rsv1 ? 0x40 : 0) | opcode;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65_536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

/** Reads server frames until a close frame arrives; returns its code (1005 when it carries none). */
export function closeCodeOf(socket: Socket, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('no close frame')), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const opcode = buffered[0]! & 0x0f;
        let length = buffered[1]! & 0x7f;
        let offset = 2;
        if (length === 126) [length, offset] = [buffered.readUInt16BE(2), 4];
        else if (length === 127) [length, offset] = [Number(buffered.readBigUInt64BE(2)), 10];
        if (buffered.length < offset + length) return;
        const payload = buffered.subarray(offset, offset + length);
        buffered = buffered.subarray(offset + length);
        if (opcode === 0x8) {
          clearTimeout(timer);
          return resolve(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
        }
      }
    });
  });
}
