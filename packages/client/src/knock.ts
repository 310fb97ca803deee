import type { ErrorCode, KnockDenial, MessageOf } from '@videoapp/protocol';
import { Emitter } from './emitter.ts';
import { type CallMessage, SignalingClient, type WebSocketConstructor } from './signaling-client.ts';

/**
 * A knock's life, as the knocker sees it: `knocking` until the server has it,
 * `waiting` (with the place in the queue) until the host answers, then
 * `admitted` (join with `token`) or `denied`; `refused` when the knock itself
 * was not accepted (wrong passcode, locked room, full list…); `cancelled` by us.
 */
export type KnockState =
  | { kind: 'knocking' }
  | { kind: 'waiting'; position: number }
  /** `token` is left out when the room stopped asking before we knocked (nothing to show for it). */
  | { kind: 'admitted'; token: string | undefined }
  | { kind: 'denied'; reason: KnockDenial }
  | { kind: 'refused'; code: ErrorCode }
  | { kind: 'cancelled' };

interface KnockEvents extends Record<string, unknown> {
  state: KnockState;
  /** The token that keeps our place: kept by the page so a reload comes back to it. */
  token: string;
}

export interface KnockOptions {
  signalingUrl: string;
  WebSocket: WebSocketConstructor;
  roomId: string;
  name: string;
  passcode?: string;
  /** A knock made before this page load (a reload): keeps its place in the queue. */
  token?: string;
}

/**
 * Waiting at the door of an "Ask to join" room: a signaling socket of its
 * own that knocks (again after every reconnect, with its token), and hears
 * its place and the host's answer. It never opens a peer connection and the
 * server sends it nothing of the room, so a knocker learns no one's address.
 */
export class Knock extends Emitter<KnockEvents> {
  private readonly signaling: SignalingClient;
  private state: KnockState = { kind: 'knocking' };
  private token: string | undefined;

  constructor(private readonly options: KnockOptions) {
    super();
    this.token = options.token;
    this.signaling = new SignalingClient({ url: options.signalingUrl, WebSocket: options.WebSocket });
    this.signaling.on('state', (state) => {
      if (state.kind === 'open' && this.isOpen()) this.sendKnock();
    });
    this.signaling.on('message', (msg) => this.onMessage(msg));
  }

  get current(): KnockState {
    return this.state;
  }

  start(): void {
    this.signaling.connect();
  }

  /** We stop waiting: our place is given up at once. */
  cancel(): void {
    if (!this.isOpen()) return;
    this.signaling.sendNow({ type: 'knock-cancel' });
    this.settle({ kind: 'cancelled' });
  }

  /**
   * Closes the socket and keeps our place (a page exit: if this is a reload,
   * the new page knocks with the token within KNOCK_GRACE_MS).
   */
  close(): void {
    this.signaling.close();
    this.removeAllListeners();
  }

  private isOpen(): boolean {
    return this.state.kind === 'knocking' || this.state.kind === 'waiting';
  }

  private sendKnock(): void {
    const { roomId, name, passcode } = this.options;
    this.signaling.send({ type: 'knock', roomId, name, passcode: this.token ? undefined : passcode, token: this.token });
  }

  private onMessage(msg: CallMessage): void {
    switch (msg.type) {
      case 'knock-waiting':
        if (msg.token !== this.token) {
          this.token = msg.token;
          this.emit('token', msg.token);
        }
        return this.setState({ kind: 'waiting', position: msg.position });
      case 'knock-admitted':
        return this.settle({ kind: 'admitted', token: this.token });
      case 'knock-denied':
        return this.settle({ kind: 'denied', reason: msg.reason });
      case 'error':
        return this.onError(msg);
      default:
        return;
    }
  }

  private onError(msg: MessageOf<CallMessage, 'error'>): void {
    if (msg.about !== 'knock' || !this.isOpen()) return;
    this.settle({ kind: 'refused', code: msg.code });
  }

  /** The host answered (or we gave up): nothing more to wait for on this socket. */
  private settle(state: KnockState): void {
    this.setState(state);
    this.signaling.close();
  }

  private setState(state: KnockState): void {
    this.state = state;
    this.emit('state', state);
  }
}
