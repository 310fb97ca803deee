// WebSocket upgrades: completed by `ws`, held to our limits; or refused with an HTTP status and the connection closed.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_MESSAGE_BYTES } from '@videoapp/protocol';
import { type ServerOptions, WebSocketServer } from 'ws';
import type { Socket, SocketHandler } from './socket.ts';
import { WsSocket } from './ws-socket.ts';

/** How long a closing socket waits for the peer to finish the closing handshake before it is destroyed (ws's default is 30 s). */
export const CLOSE_TIMEOUT_MS = 1_000;

export interface UpgradeRefusal {
  status: string;
  /** Extra header lines for the refusal. */
  headers?: string[];
}

/** The answer to a request that is no valid WebSocket handshake; it names the one version browsers speak, as RFC 6455 §4.4 asks of a server refusing a version. */
const BAD_HANDSHAKE: UpgradeRefusal = { status: '400 Bad Request', headers: ['Sec-WebSocket-Version: 13'] };

/** `closeTimeout` came with ws 8.19; @types/ws does not list it yet. */
const SERVER_OPTIONS: ServerOptions & { closeTimeout: number } = {
  noServer: true,
  // No compression: no zlib context per socket, nothing to inflate; a compressed frame is a protocol error (1002).
  perMessageDeflate: false,
  // ws counts a message across all its fragments: a bigger one closes the socket with 1009.
  maxPayload: MAX_MESSAGE_BYTES,
  // The hub keeps its own set of connections; ws's would be a second one, with a listener per socket.
  clientTracking: false,
  closeTimeout: CLOSE_TIMEOUT_MS,
};

/** Completes upgrades that passed our own checks (origin, sockets per address); ws checks the handshake itself. */
export class WebSocketUpgrades {
  private readonly server = new WebSocketServer(SERVER_OPTIONS);

  /** `onBadHandshake` counts the requests ws finds are no valid handshake; they are answered with 400. */
  constructor(onBadHandshake: () => void) {
    // With a listener here ws leaves the answer to us, rather than answering by itself unseen.
    this.server.on('wsClientError', (_err, socket) => {
      onBadHandshake();
      refuseUpgrade(socket, BAD_HANDSHAKE);
    });
  }

  /** Answers 101 and hands the new socket to the handler `connect` makes for it. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, connect: (socket: Socket) => SocketHandler): void {
    this.server.handleUpgrade(req, socket, head, (ws) => WsSocket.adopt(ws, connect));
  }
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
