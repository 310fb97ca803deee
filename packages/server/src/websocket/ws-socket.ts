// A `ws` WebSocket seen through our Socket interface, its events delivered to one SocketHandler.
import { MAX_BUFFERED_BYTES_PER_SOCKET } from '@videoapp/protocol';
import { type RawData, WebSocket } from 'ws';
import type { ProtocolProblem, Socket, SocketHandler } from './socket.ts';

/** ws's code for a message over `maxPayload` (it closes with 1009); every other error it reports is a broken frame. */
const MESSAGE_TOO_LARGE_ERROR = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

// A WebSocket finds its adapter through this property, so the listeners below are shared by all sockets rather than closures per socket.
const adapter = Symbol('ws-socket');
type AdoptedWebSocket = WebSocket & { [adapter]: WsSocket };

export class WsSocket implements Socket {
  private readonly handler: SocketHandler;

  private constructor(
    private readonly ws: WebSocket,
    connect: (socket: Socket) => SocketHandler,
  ) {
    this.handler = connect(this);
  }

  /** Wraps `ws`, just opened, and delivers its events to the handler `connect` makes for it. */
  static adopt(ws: WebSocket, connect: (socket: Socket) => SocketHandler): void {
    (ws as AdoptedWebSocket)[adapter] = new WsSocket(ws, connect);
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  send(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(text);
    // A peer that stops reading must not grow our memory without bound: what the kernel will not take yet waits in our process.
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES_PER_SOCKET) this.ws.terminate();
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  // The three methods below are called by the shared listeners; a handler that throws there would otherwise take the whole process down.

  /** `data` is a Buffer: the default binaryType, 'nodebuffer', is never changed. */
  received(data: RawData, isBinary: boolean): void {
    // ws goes on reading while its closing handshake runs; a connection that has sent its close frame has nothing more to say.
    if (this.ws.readyState !== WebSocket.OPEN) return;
    try {
      if (isBinary) this.handler.onBinary();
      else this.handler.onText(data.toString());
    } catch (err) {
      this.failed(err);
    }
  }

  /** ws has already answered the error with its close code. */
  refused(err: Error & { code?: string }): void {
    const problem: ProtocolProblem = err.code === MESSAGE_TOO_LARGE_ERROR ? 'message-too-large' : 'bad-frame';
    try {
      this.handler.onProtocolError(problem, err.code ?? err.message);
    } catch (thrown) {
      this.failed(thrown);
    }
  }

  closed(code: number): void {
    try {
      this.handler.onClose(code);
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    this.ws.terminate();
    this.handler.onFailure(err);
  }
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as AdoptedWebSocket)[adapter].received(data, isBinary);
}

function onError(this: WebSocket, err: Error): void {
  (this as AdoptedWebSocket)[adapter].refused(err);
}

function onClose(this: WebSocket, code: number): void {
  (this as AdoptedWebSocket)[adapter].closed(code);
}
