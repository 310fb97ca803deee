import { type ClientMessage, PROTOCOL_VERSION, parse, ServerMessage } from '@videoapp/protocol';
import { Emitter } from './emitter.ts';

/** Waits between reconnect attempts: quick at first, then capped so a restarted server is found within seconds. */
export const RECONNECT_DELAYS_MS = [0, 250, 500, 1000, 2000] as const;
/** Messages kept while the socket is down, and numbered messages kept for re-sending; a call needs far fewer. */
export const MAX_QUEUED_MESSAGES = 256;
/** Room messages that must not be lost or doubled across a reconnect: numbered, kept, re-sent on resume. */
const NUMBERED: ReadonlySet<ClientMessage['type']> = new Set([
  'description',
  'candidate',
  'media',
  'leave',
  'sfu-publish',
  'sfu-subscribe-answer',
  'sfu-candidate',
  'sfu-view',
  'sfu-leave',
  'sfu-subscribe-restart',
  'chat',
  'hand',
  'lower-hand',
  'reaction',
  'e2ee-key',
  'e2ee-media-key',
]);
/**
 * Longest a numbered server message waits to be acknowledged when no message
 * of ours goes out to carry the acknowledgement. The server keeps each frame
 * until then; kept briefly, they die young instead of burdening its full
 * garbage collections. Several arriving together share one `ack`.
 */
export const ACK_DELAY_MS = 25;
/** Silence, in heartbeats, after which the server is taken for gone. */
export const MISSED_HEARTBEATS_BEFORE_RECONNECT = 3;
/**
 * Past one heartbeat, how much longer the server may be silent before media
 * trouble makes us take the socket for dead at once (see `reconnectIfSilent`):
 * room for a ping delayed by a busy server or network.
 */
export const SILENCE_SLACK_MS = 500;
/**
 * How long the server has to answer our `ping` when media stops before the
 * socket is taken for dead. A live socket answers within a round trip; one
 * whose network went away (Wi-Fi to mobile) never does, and would otherwise
 * be found dead only after missed heartbeats, seconds later, holding back
 * the ICE restart that needs it.
 */
export const SOCKET_PROBE_MS = 500;

/** A room message kept until the server is known to have it: `fields` is everything but `type`, as JSON. */
interface NumberedMessage {
  seq: number;
  type: ClientMessage['type'];
  fields: string;
}

export type SignalingState = { kind: 'connecting'; attempt: number } | { kind: 'open' } | { kind: 'closed' };

/** Messages the call handles; heartbeats and the greeting are dealt with here. */
export type CallMessage = Exclude<ServerMessage, { type: 'ping' | 'pong' | 'welcome' | 'goodbye' | 'resume-token' }>;

interface SignalingEvents extends Record<string, unknown> {
  message: CallMessage;
  state: SignalingState;
}

export type WebSocketConstructor = new (url: string) => WebSocket;

export interface SignalingOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  /** Set by the call once joined, so a new socket can reclaim the same place. */
  resumeToken?: string;
}

/**
 * One WebSocket to the signaling server, kept alive: it greets, answers
 * heartbeats, notices a silent server, reconnects with a resume token, and
 * queues what is sent while the socket is down.
 */
export class SignalingClient extends Emitter<SignalingEvents> {
  private socket: WebSocket | undefined;
  /**
   * A socket our `ping` found silent, replaced but not yet closed: closed only
   * once its successor is open. Closed at once, its goodbye could reach the
   * server after a brief outage, before the new socket's resume, and the others
   * would be told we were away (the network bench's 1.5 s blip was shown as lost).
   */
  private retired: WebSocket | undefined;
  private state: SignalingState = { kind: 'connecting', attempt: 0 };
  /** Unnumbered messages (join) waiting for an open socket. */
  private queue: string[] = [];
  /** Numbered messages not yet known to have reached the server. */
  private unacked: NumberedMessage[] = [];
  private sentSeq = 0;
  /** The last numbered server message taken; repeats are dropped. */
  private receivedSeq = 0;
  /** The last numbered server message acknowledged to the server. */
  private ackedSeq = 0;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatMs = 2000;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  /** When the current socket last brought anything (performance.now()). */
  private lastHeardAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Waits for the server's answer to our `ping` (see reconnectIfSilent). */
  private silenceCheck: ReturnType<typeof setTimeout> | undefined;
  /** True between `welcome` and `resumed` when a resume was asked for: queued messages wait for the outcome. */
  private awaitingResume = false;
  private started = false;
  resumeToken: string | undefined;

  constructor(private readonly options: SignalingOptions) {
    super();
    this.resumeToken = options.resumeToken;
  }

  get current(): SignalingState {
    return this.state;
  }

  /** Opens the socket and keeps it open from then on; a second call changes nothing (a client opened early is connected already). */
  connect(): void {
    if (this.started || this.state.kind === 'closed') return;
    this.started = true;
    this.open(0);
  }

  send(message: ClientMessage): void {
    const canSend = this.state.kind === 'open' && !this.awaitingResume && this.socket?.readyState === 1;
    if (NUMBERED.has(message.type)) {
      const numbered = this.number(message);
      if (canSend) this.socket!.send(this.frameOf(numbered));
      return;
    }
    const frame = JSON.stringify(message);
    if (canSend) this.socket!.send(frame);
    else if (this.queue.length < MAX_QUEUED_MESSAGES) this.queue.push(frame);
  }

  /** Sends at once if the socket is open, never queued: for goodbyes on page exit. */
  sendNow(message: ClientMessage): void {
    if (this.socket?.readyState !== 1) return;
    this.socket.send(NUMBERED.has(message.type) ? this.frameOf(this.number(message)) : JSON.stringify(message));
  }

  private number(message: ClientMessage): NumberedMessage {
    const { type, ...fields } = message;
    const numbered = { seq: ++this.sentSeq, type, fields: JSON.stringify(fields) };
    this.unacked.push(numbered);
    if (this.unacked.length > MAX_QUEUED_MESSAGES) this.unacked.shift();
    return numbered;
  }

  /**
   * The frame for a numbered message, acknowledging what has arrived as of
   * now (not as of when the message was first sent: after a server restart the
   * numbering starts again, and an old acknowledgement would wrongly cover new
   * frames). `type`, `seq` and `ack` lead so the server can relay the frame
   * without serializing it again.
   */
  private frameOf({ seq, type, fields }: NumberedMessage): string {
    const ack = this.acknowledging();
    const head = `{"type":"${type}","seq":${seq}${ack === undefined ? '' : `,"ack":${ack}`}`;
    return fields === '{}' ? `${head}}` : `${head},${fields.slice(1)}`;
  }

  /** What to acknowledge in a message about to be sent: everything received so far. */
  private acknowledging(): number | undefined {
    this.ackedSeq = this.receivedSeq;
    return this.receivedSeq > 0 ? this.receivedSeq : undefined;
  }

  private scheduleAck(): void {
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      if (this.receivedSeq > this.ackedSeq && this.socket?.readyState === 1) this.sendNow({ type: 'ack', seq: this.acknowledging()! });
    }, ACK_DELAY_MS);
  }

  /** Drops the current socket and tries again now (e.g. the browser came back online). */
  reconnectNow(): void {
    if (this.state.kind === 'closed') return;
    if (this.state.kind === 'open' && this.socket?.readyState === 1) return;
    this.dropSocket();
    this.open(this.state.kind === 'connecting' ? this.state.attempt : 0);
  }

  /**
   * Media just stopped flowing (or the device's network changed). The
   * likeliest cause may be our own network changing under the socket: its
   * TCP connection dead, but declared so only after
   * MISSED_HEARTBEATS_BEFORE_RECONNECT beats, while the ICE restart that
   * brings media back needs signaling. A server silent past a heartbeat is
   * taken for gone at once; otherwise we ask it to answer (`ping`) and
   * reconnect if it has not within SOCKET_PROBE_MS. A server that answers is
   * left alone: the trouble is elsewhere.
   */
  reconnectIfSilent(): void {
    if (this.state.kind !== 'open' || this.silenceCheck !== undefined) return;
    const askedAt = performance.now();
    if (askedAt - this.lastHeardAt > this.heartbeatMs + SILENCE_SLACK_MS) return this.replaceSocket();
    this.sendNow({ type: 'ping' });
    this.silenceCheck = setTimeout(() => {
      this.silenceCheck = undefined;
      if (this.state.kind === 'open' && this.lastHeardAt < askedAt) this.replaceSocket();
    }, SOCKET_PROBE_MS);
  }

  /** Opens a new socket in place of a silent one, which stays (unheard) until the new one is open. */
  private replaceSocket(): void {
    const silent = this.socket;
    this.socket = undefined;
    this.dropSocket();
    if (silent) {
      silent.onopen = silent.onmessage = silent.onclose = null;
      this.closeRetired();
      this.retired = silent;
    }
    this.open(0);
  }

  private closeRetired(): void {
    if (this.retired && this.retired.readyState <= 1) this.retired.close();
    this.retired = undefined;
  }

  close(): void {
    this.setState({ kind: 'closed' });
    clearTimeout(this.retryTimer);
    this.dropSocket();
    this.closeRetired();
    this.queue = [];
    this.removeAllListeners();
  }

  private open(attempt: number): void {
    this.setState({ kind: 'connecting', attempt });
    const socket = new this.options.WebSocket(this.options.url);
    this.socket = socket;
    socket.onopen = () => {
      const resume = this.resumeToken;
      socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, resume, lastSeq: resume ? this.receivedSeq : undefined } satisfies ClientMessage));
      this.armWatchdog();
    };
    socket.onmessage = (event) => this.receive(String(event.data));
    socket.onclose = () => {
      if (this.socket === socket) this.scheduleReconnect(attempt + 1);
    };
  }

  private receive(frame: string): void {
    this.lastHeardAt = performance.now();
    this.armWatchdog();
    let data: unknown;
    try {
      data = JSON.parse(frame);
    } catch {
      return;
    }
    const result = parse(ServerMessage, data);
    if (!result.ok) return console.warn('videoapp: ignoring a malformed server message', result.problem);
    const msg = result.value;
    if ('seq' in msg && msg.seq !== undefined) {
      if (msg.seq <= this.receivedSeq) return;
      this.receivedSeq = msg.seq;
      this.scheduleAck();
    }
    switch (msg.type) {
      case 'pong':
        // Our socket check answered (reconnectIfSilent): hearing it was the point.
        return;
      case 'ping':
        // Until `resumed` says where numbering stands (it starts again after a server restart), acknowledge nothing.
        return this.sendNow({ type: 'pong', ack: this.awaitingResume ? undefined : this.acknowledging() });
      case 'welcome':
        this.heartbeatMs = msg.heartbeatMs;
        this.awaitingResume = this.resumeToken !== undefined;
        if (!this.awaitingResume) this.becomeOpen();
        return;
      case 'goodbye':
        this.dropSocket();
        return this.scheduleReconnect(0, msg.retryMs);
      case 'resume-token':
        this.resumeToken = msg.resumeToken;
        return;
      case 'resumed':
        this.resumeToken = msg.resumeToken;
        // What follows from the server is numbered from resendFrom; what the server lacks from us, we send again.
        this.receivedSeq = this.ackedSeq = msg.resendFrom - 1;
        this.unacked = this.unacked.filter((m) => m.seq > msg.received);
        for (const numbered of this.unacked) this.socket?.send(this.frameOf(numbered));
        this.awaitingResume = false;
        this.becomeOpen();
        return this.emit('message', msg);
      case 'joined':
        this.startSession();
        return this.emit('message', msg);
      case 'error':
        if (msg.code === 'session-expired') {
          // The old place is gone: what was queued or kept for it is meaningless now.
          this.resumeToken = undefined;
          this.awaitingResume = false;
          this.queue = [];
          this.startSession();
          this.becomeOpen();
        }
        return this.emit('message', msg);
      default:
        return this.emit('message', msg);
    }
  }

  /** A new session numbers from the start in both directions. */
  private startSession(): void {
    this.unacked = [];
    this.sentSeq = 0;
    this.receivedSeq = 0;
    this.ackedSeq = 0;
  }

  private becomeOpen(): void {
    this.setState({ kind: 'open' });
    this.closeRetired();
    const queued = this.queue;
    this.queue = [];
    for (const frame of queued) this.socket?.send(frame);
  }

  private scheduleReconnect(attempt: number, delayMs?: number): void {
    if (this.state.kind === 'closed') return;
    this.dropSocket();
    this.setState({ kind: 'connecting', attempt });
    const base = delayMs ?? RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)]!;
    // Jitter spreads a crowd of clients reconnecting to a restarted server.
    this.retryTimer = setTimeout(() => this.open(attempt), base + Math.random() * base * 0.2);
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.scheduleReconnect(1), this.heartbeatMs * MISSED_HEARTBEATS_BEFORE_RECONNECT);
  }

  private dropSocket(): void {
    clearTimeout(this.watchdog);
    clearTimeout(this.silenceCheck);
    this.silenceCheck = undefined;
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    if (socket.readyState <= 1) socket.close();
  }

  private setState(state: SignalingState): void {
    const changed = state.kind !== this.state.kind || (state.kind === 'connecting' && this.state.kind === 'connecting' && state.attempt !== this.state.attempt);
    this.state = state;
    if (changed) this.emit('state', state);
  }
}
