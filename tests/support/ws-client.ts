import { type ClientMessage, type MessageOf, PROTOCOL_VERSION, type ServerMessage } from '@videoapp/protocol';
import WebSocket from 'ws';

/**
 * A raw protocol client over a real WebSocket, for integration tests: it sends
 * whatever it is told (valid or not) and lets a test await specific replies.
 */
export class WsTestClient {
  private readonly inbox: ServerMessage[] = [];
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;
  /** The highest `seq` received; tests compare messages without it. */
  lastSeq = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const { seq, ...msg } = JSON.parse(data.toString()) as ServerMessage & { seq?: number };
      if (msg.type === 'ping') return void this.send({ type: 'pong', ack: this.lastSeq });
      if (seq !== undefined) this.lastSeq = Math.max(this.lastSeq, seq);
      this.inbox.push(msg as ServerMessage);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  /** `localAddress` (e.g. 127.0.0.2: all of 127/8 is loopback) makes the socket come from another client address. */
  static async open(serverUrl: string, headers: Record<string, string> = {}, localAddress?: string): Promise<WsTestClient> {
    const ws = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/ws`, { headers, localAddress });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsTestClient(ws);
  }

  /** Opens a socket and completes the hello/welcome exchange. */
  static async greeted(serverUrl: string, localAddress?: string): Promise<WsTestClient> {
    const client = await WsTestClient.open(serverUrl, {}, localAddress);
    client.send({ type: 'hello', version: PROTOCOL_VERSION });
    await client.next('welcome');
    return client;
  }

  send(msg: ClientMessage): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** Sends what the protocol may refuse (a wrong field, a made-up type), as JSON. */
  sendInvalid(msg: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(msg));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** The next message of `type` (earlier messages of other types are kept), or a rejection after `timeoutMs`. */
  async next<T extends ServerMessage['type']>(type: T, timeoutMs = 3000): Promise<MessageOf<ServerMessage, T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex((m) => m.type === type);
      if (index >= 0) return this.inbox.splice(index, 1)[0] as MessageOf<ServerMessage, T>;
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms; inbox: ${JSON.stringify(this.inbox)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Messages received and not yet taken. */
  pending(): ServerMessage[] {
    return [...this.inbox];
  }

  async waitClosed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error('socket still open');
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export async function createRoom(serverUrl: string): Promise<string> {
  return (await createRoomAsHost(serverUrl)).roomId;
}

/** Creates a room (with a passcode if given) and keeps the host key that makes its creator the host. */
export async function createRoomAsHost(serverUrl: string, passcode?: string): Promise<{ roomId: string; hostKey: string }> {
  const res = await fetch(`${serverUrl}/api/rooms`, { method: 'POST', body: passcode === undefined ? undefined : JSON.stringify({ passcode }) });
  if (res.status !== 201) throw new Error(`create room: ${res.status}`);
  return (await res.json()) as { roomId: string; hostKey: string };
}

/** Two greeted clients in a fresh room, each knowing the other's id; the second on `otherUrl` when given (another process). */
export async function pairInRoom(serverUrl: string, otherUrl = serverUrl) {
  const roomId = await createRoom(serverUrl);
  const a = await WsTestClient.greeted(serverUrl);
  a.send({ type: 'join', roomId, name: 'Ada' });
  const aJoined = await a.next('joined');
  const b = await WsTestClient.greeted(otherUrl);
  b.send({ type: 'join', roomId, name: 'Bo' });
  const bJoined = await b.next('joined');
  await a.next('peer-joined');
  return { roomId, a, b, aId: aJoined.selfId, bId: bJoined.selfId, aJoined, bJoined };
}
