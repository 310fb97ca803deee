// One server-side WebSocket working directly on its socket: no stream wrappers, no event emitter, one object per connection.
import { Socket as NetSocket } from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_BUFFERED_BYTES_PER_SOCKET } from '@videoapp/protocol';
import { CLOSE_CODE, closeFrame, controlFrame, FrameReader, OPCODE, textFrame } from './frames.ts';

/** How long a closing socket waits for the peer to finish the closing handshake before it is destroyed. */
export const CLOSE_TIMEOUT_MS = 1_000;

/** What the owner of a WebSocket hears from it: plain method calls, cheaper than event listeners per socket. */
export interface WebSocketHandler {
  onText(text: string): void;
  /** Binary messages are counted but never read. */
  onBinary(): void;
  /** The peer broke the protocol; the socket is already closing with `code` (1002, 1007 or 1009). */
  onProtocolError(code: number): void;
  /** Once, when the socket has closed; `code` is the peer's close code, or 1006 when none arrived. */
  onClose(code: number): void;
  /** One of the calls above threw. The socket is dropped; the process, and every other socket, go on. */
  onFailure(err: unknown): void;
}

/** open → closing (a close frame went out) → closed (the socket is gone). */
type WebSocketState = 'open' | 'closing' | 'closed';

// The socket finds its WebSocket through this property, so the listeners below are shared by all sockets rather than closures per socket.
const owner = Symbol('web-socket');
type OwnedSocket = Duplex & { [owner]?: ServerWebSocket };

export class ServerWebSocket extends FrameReader {
  private state: WebSocketState = 'open';
  private handler: WebSocketHandler | null = null;
  private peerCloseCode: number = CLOSE_CODE.abnormal;
  private closeTimer: NodeJS.Timeout | undefined;

  /** `socket` has just been answered with 101 (see handshake.ts). */
  constructor(private readonly socket: Duplex) {
    super();
  }

  /** Starts reading: `head` holds whatever the client sent right after its handshake. */
  start(handler: WebSocketHandler, head: Buffer): void {
    this.handler = handler;
    const socket = this.socket as OwnedSocket;
    socket[owner] = this;
    if (socket instanceof NetSocket) {
      socket.setNoDelay(true);
      socket.setTimeout(0);
    }
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    if (head.length > 0) this.read(head);
    socket.resume();
  }

  send(text: string): void {
    if (this.state === 'open') this.write(textFrame(text));
  }

  /** Sends a close frame and stops delivering messages; the socket is destroyed if the peer has not closed within CLOSE_TIMEOUT_MS. */
  close(code: number, reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.write(closeFrame(code, reason));
    // Half-closing keeps reading, so a peer still sending does not get a reset that could destroy our close frame before it reads it.
    this.socket.end();
    this.closeTimer = setTimeout(destroySocket, CLOSE_TIMEOUT_MS, this.socket);
    this.closeTimer.unref();
  }

  terminate(): void {
    if (this.state === 'open') this.state = 'closing';
    this.socket.destroy();
  }

  /** A handler threw while this socket's events were being delivered: drop the socket, tell the owner. */
  failed(err: unknown): void {
    this.terminate();
    this.handler?.onFailure(err);
  }

  /** Every write passes here: a peer that stops reading must not grow our memory without bound. */
  private write(frame: Buffer): void {
    this.socket.write(frame);
    if (this.socket.writableLength > MAX_BUFFERED_BYTES_PER_SOCKET) this.terminate();
  }

  protected textReceived(text: string): void {
    if (this.state === 'open') this.handler!.onText(text);
  }

  protected binaryReceived(): void {
    if (this.state === 'open') this.handler!.onBinary();
  }

  protected pingReceived(payload: Buffer): void {
    if (this.state === 'open') this.write(controlFrame(OPCODE.pong, payload));
  }

  protected closeReceived(code: number): void {
    this.peerCloseCode = code;
    // Echo the peer's code; after our own close frame, theirs completes the handshake and there is nothing to add.
    this.close(code, '');
  }

  protected frameError(code: number): void {
    if (this.state !== 'open') return;
    this.handler!.onProtocolError(code);
    this.close(code, '');
  }

  /** The peer finished sending: without a close frame first, that is an abnormal close (1006). */
  ended(): void {
    if (this.state === 'open') this.state = 'closing';
    this.stopReading();
    if (!this.socket.writableEnded) this.socket.end();
  }

  closed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.closeTimer);
    this.stopReading();
    (this.socket as OwnedSocket)[owner] = undefined;
    this.handler!.onClose(this.peerCloseCode);
  }
}

// The handler runs inside these listeners; a throw escaping a socket listener would end the process.
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  const webSocket = this[owner];
  try {
    webSocket?.read(chunk);
  } catch (err) {
    webSocket?.failed(err);
  }
}

function onSocketEnd(this: OwnedSocket): void {
  this[owner]?.ended();
}

function onSocketClose(this: OwnedSocket): void {
  const webSocket = this[owner];
  try {
    webSocket?.closed();
  } catch (err) {
    webSocket?.failed(err);
  }
}

/** A reset or other socket error is followed by 'close', which is where the handler hears of it. */
function onSocketError(): void {}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}
