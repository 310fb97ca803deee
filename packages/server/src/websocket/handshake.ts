// The server half of the RFC 6455 opening handshake, on a socket the HTTP server handed over at 'upgrade'.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Appended to the client's key before hashing, so only a WebSocket server can answer (RFC 6455 §1.3). */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The only protocol version there is. */
const WEBSOCKET_VERSION = '13';
/** Base64 of 16 random bytes: 22 characters and `==`. */
const CLIENT_KEY = /^[+/0-9A-Za-z]{22}==$/;

export interface UpgradeRefusal {
  status: string;
  /** Extra header lines for the refusal. */
  headers?: string[];
}

/** Why `req` is not a valid WebSocket opening handshake, or undefined when it is. */
export function handshakeProblem(req: IncomingMessage): UpgradeRefusal | undefined {
  const { upgrade, connection } = req.headers;
  const upgrading = upgrade?.toLowerCase() === 'websocket' && (connection ?? '').toLowerCase().split(',').some((token) => token.trim() === 'upgrade');
  if (req.method !== 'GET' || !upgrading) return { status: '400 Bad Request' };
  if (req.headers['sec-websocket-version'] !== WEBSOCKET_VERSION) return { status: '426 Upgrade Required', headers: [`Sec-WebSocket-Version: ${WEBSOCKET_VERSION}`] };
  if (!CLIENT_KEY.test(req.headers['sec-websocket-key'] ?? '')) return { status: '400 Bad Request' };
  return undefined;
}

/**
 * Answers a valid handshake with 101. No extension is ever accepted (so
 * permessage-deflate offers are declined by leaving them out) and no
 * subprotocol chosen. False when the socket went away before the answer.
 */
export function acceptUpgrade(req: IncomingMessage, socket: Duplex): boolean {
  if (!socket.readable || !socket.writable) {
    socket.destroy();
    return false;
  }
  const accept = createHash('sha1').update(req.headers['sec-websocket-key']! + HANDSHAKE_GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  return true;
}

/** Answers an upgrade with an HTTP error and closes the connection. */
export function refuseUpgrade(socket: Duplex, refusal: UpgradeRefusal): void {
  // The HTTP server stops watching a socket once it is handed over: an error now (a reset) must not become an uncaught exception.
  socket.on('error', ignoreSocketError);
  // Nothing else watches this socket now: once the answer is out, it is closed whatever the client does.
  socket.once('finish', () => socket.destroy());
  const headers = ['Connection: close', 'Content-Length: 0', ...(refusal.headers ?? [])];
  socket.end(`HTTP/1.1 ${refusal.status}\r\n${headers.join('\r\n')}\r\n\r\n`);
}

function ignoreSocketError(): void {}
