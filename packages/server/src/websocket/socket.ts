// The seam between signaling and the WebSocket library: what a connection may do to its socket, and what it hears from it.

/** The narrow view of a WebSocket a connection needs, so it can be tested without one. */
export interface Socket {
  /** Sends one text message; dropped once the socket is closing. */
  send(text: string): void;
  /** Starts the closing handshake; a peer that does not answer is dropped after CLOSE_TIMEOUT_MS. */
  close(code: number, reason: string): void;
  /** Drops the connection at once, without a closing handshake. */
  terminate(): void;
  /** Stops reading what the peer sends (TCP pushes back on it) until `resume`. */
  pause(): void;
  resume(): void;
}

/** Why a peer's frames were refused: too large a message, or anything else that breaks RFC 6455 (1002, 1007, ...). */
export type ProtocolProblem = 'message-too-large' | 'bad-frame';

/** What the owner of a socket hears from it: plain method calls on one object, no listeners of its own per socket. */
export interface SocketHandler {
  onText(text: string): void;
  /** Binary messages are not part of our protocol: only their arrival is reported. */
  onBinary(): void;
  /** The peer broke the WebSocket protocol; the socket is already closing with the close code it earned. `detail` is for the log. */
  onProtocolError(problem: ProtocolProblem, detail: string): void;
  /** Once, when the socket has closed; `code` is the peer's close code, 1005 when its close frame had none, 1006 when none arrived. */
  onClose(code: number): void;
  /** One of the calls above threw. The socket is dropped; the process, and every other socket, go on. */
  onFailure(err: unknown): void;
}
