import type { ClientMessage, ServerMessage } from '@videoapp/protocol';
import { Call, type CallOptions } from '../call.ts';
import type { WebSocketConstructor } from '../signaling-client.ts';

/** Just enough of a WebSocket for the signaling client: it keeps what the client sent, and the test speaks for the server through `receive`. */
export class FakeSocket {
  readyState = 0;
  sent: ClientMessage[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  send(frame: string): void {
    this.sent.push(JSON.parse(frame));
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: ServerMessage): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

/**
 * A Call whose WebSocket is a FakeSocket and whose peer connections come from
 * `createPeerConnection`; `socket()` is the socket it opened last. Like a live
 * server, the socket answers the client's `ping` at once.
 */
export function callOverFakeSocket(createPeerConnection: () => unknown, flavor?: CallOptions['flavor'], options: Partial<CallOptions> = {}): { call: Call; socket: () => FakeSocket } {
  let socket: FakeSocket | undefined;
  const call = new Call({
    signalingUrl: 'ws://videoapp.test/ws',
    WebSocket: class extends FakeSocket {
      constructor() {
        super();
        socket = this;
      }
      override send(frame: string): void {
        super.send(frame);
        if (this.sent.at(-1)?.type === 'ping') this.receive({ type: 'pong' });
      }
    } as unknown as WebSocketConstructor,
    createPeerConnection: () => createPeerConnection() as RTCPeerConnection,
    flavor,
    ...options,
  });
  return {
    call,
    socket: () => {
      if (!socket) throw new Error('the call has not opened a socket yet');
      return socket;
    },
  };
}
