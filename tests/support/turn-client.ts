// A minimal TURN client over UDP (RFC 5389 / 5766), enough to ask a real coturn
// for an allocation and a permission and read its answer: what a browser would
// be granted or refused, without a browser.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

const MAGIC_COOKIE = 0x2112a442;
const HEADER_BYTES = 20;
/** Tries per request and the wait for each answer: a lost datagram on loopback is rare, a hang never allowed. */
const SEND_ATTEMPTS = 3;
const ANSWER_TIMEOUT_MS = 700;

const METHOD = { binding: 0x001, allocate: 0x003, createPermission: 0x008 } as const;
const CLASS = { request: 0x000, success: 0x100, error: 0x110 } as const;
const ATTR = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  lifetime: 0x000d,
  xorPeerAddress: 0x0012,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedTransport: 0x0019,
  xorMappedAddress: 0x0020,
} as const;
const UDP_PROTOCOL_NUMBER = 17;

export interface TransportAddress {
  address: string;
  port: number;
}

/** What the server answered: success with its attributes, or an error code (401 unauthorized, 403 forbidden…). */
export type TurnAnswer = { ok: true; relayed?: TransportAddress; mapped?: TransportAddress } | { ok: false; code: number; reason: string };

interface Message {
  type: number;
  transactionId: Buffer;
  attributes: Map<number, Buffer>;
}

export class TurnClient {
  private readonly socket: Socket = createSocket('udp4');
  private realm = '';
  private nonce = '';
  private key: Buffer | undefined;
  private username = '';

  private constructor(private readonly server: TransportAddress) {}

  static async open(server: TransportAddress): Promise<TurnClient> {
    const client = new TurnClient(server);
    await new Promise<void>((resolve) => client.socket.bind(0, '127.0.0.1', resolve));
    return client;
  }

  /** A plain STUN binding: answers once the server is listening. */
  async binding(): Promise<TurnAnswer> {
    return toAnswer(await this.exchange(METHOD.binding, []));
  }

  /** Allocates a UDP relay with long-term credentials, answering the server's 401 challenge as RFC 5766 says. */
  async allocate(username: string, password: string): Promise<TurnAnswer> {
    const transport = Buffer.from([UDP_PROTOCOL_NUMBER, 0, 0, 0]);
    const challenge = await this.exchange(METHOD.allocate, [[ATTR.requestedTransport, transport]]);
    if (errorOf(challenge)?.code !== 401) return toAnswer(challenge);
    this.realm = challenge.attributes.get(ATTR.realm)?.toString() ?? '';
    this.nonce = challenge.attributes.get(ATTR.nonce)?.toString() ?? '';
    this.username = username;
    this.key = createHash('md5').update(`${username}:${this.realm}:${password}`).digest();
    return toAnswer(await this.exchange(METHOD.allocate, [[ATTR.requestedTransport, transport], ...this.credentials()]));
  }

  /** Asks the relay to let traffic to and from `peer` through: refused (403) for addresses the server denies. */
  async createPermission(peer: string): Promise<TurnAnswer> {
    if (!this.key) throw new Error('allocate first');
    return toAnswer(await this.exchange(METHOD.createPermission, [[ATTR.xorPeerAddress, xorAddress({ address: peer, port: 0 })], ...this.credentials()]));
  }

  close(): void {
    this.socket.close();
  }

  private credentials(): [number, Buffer][] {
    return [
      [ATTR.username, Buffer.from(this.username)],
      [ATTR.realm, Buffer.from(this.realm)],
      [ATTR.nonce, Buffer.from(this.nonce)],
    ];
  }

  private async exchange(method: number, attributes: [number, Buffer][]): Promise<Message> {
    const transactionId = randomBytes(12);
    const request = encode(method | CLASS.request, transactionId, attributes, this.key);
    for (let attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
      const answer = await this.sendAndWait(request, transactionId);
      if (answer) return answer;
    }
    throw new Error(`no answer from ${this.server.address}:${this.server.port} after ${SEND_ATTEMPTS} tries`);
  }

  private sendAndWait(request: Buffer, transactionId: Buffer): Promise<Message | undefined> {
    return new Promise((resolve) => {
      const onMessage = (data: Buffer) => {
        const message = decode(data);
        if (!message?.transactionId.equals(transactionId)) return;
        finish(message);
      };
      const timer = setTimeout(() => finish(undefined), ANSWER_TIMEOUT_MS);
      const finish = (message: Message | undefined) => {
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(message);
      };
      this.socket.on('message', onMessage);
      this.socket.send(request, this.server.port, this.server.address);
    });
  }
}

function encode(type: number, transactionId: Buffer, attributes: [number, Buffer][], key: Buffer | undefined): Buffer {
  const body = Buffer.concat(attributes.map(([kind, value]) => attribute(kind, value)));
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(type, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(header, 8);
  if (!key) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  // MESSAGE-INTEGRITY covers the message with its length already counting the integrity attribute itself.
  const integrityBytes = 4 + 20;
  header.writeUInt16BE(body.length + integrityBytes, 2);
  const mac = createHmac('sha1', key)
    .update(Buffer.concat([header, body]))
    .digest();
  return Buffer.concat([header, body, attribute(ATTR.messageIntegrity, mac)]);
}

function attribute(kind: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(kind, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

function decode(data: Buffer): Message | undefined {
  if (data.length < HEADER_BYTES || data.readUInt32BE(4) !== MAGIC_COOKIE) return undefined;
  const end = Math.min(data.length, HEADER_BYTES + data.readUInt16BE(2));
  const attributes = new Map<number, Buffer>();
  for (let at = HEADER_BYTES; at + 4 <= end; ) {
    const kind = data.readUInt16BE(at);
    const length = data.readUInt16BE(at + 2);
    attributes.set(kind, data.subarray(at + 4, at + 4 + length));
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return { type: data.readUInt16BE(0), transactionId: data.subarray(8, 20), attributes };
}

function errorOf(message: Message): { code: number; reason: string } | undefined {
  if ((message.type & 0x110) !== CLASS.error) return undefined;
  const value = message.attributes.get(ATTR.errorCode);
  if (!value) return { code: 0, reason: 'error without ERROR-CODE' };
  return { code: (value[2]! & 0x7) * 100 + value[3]!, reason: value.subarray(4).toString() };
}

function toAnswer(message: Message): TurnAnswer {
  const error = errorOf(message);
  if (error) return { ok: false, ...error };
  const relayed = message.attributes.get(ATTR.xorRelayedAddress);
  const mapped = message.attributes.get(ATTR.xorMappedAddress);
  return { ok: true, relayed: relayed && unxorAddress(relayed), mapped: mapped && unxorAddress(mapped) };
}

/** IPv4 XOR-ADDRESS: port and address XORed with the magic cookie (IPv6 would also need the transaction id). */
function xorAddress(target: TransportAddress): Buffer {
  const value = Buffer.alloc(8);
  value.writeUInt8(0x01, 1);
  value.writeUInt16BE(target.port ^ (MAGIC_COOKIE >>> 16), 2);
  const octets = target.address.split('.').map(Number);
  value.writeUInt32BE((((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) ^ MAGIC_COOKIE) >>> 0, 4);
  return value;
}

function unxorAddress(value: Buffer): TransportAddress {
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const raw = (value.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0;
  return { address: [raw >>> 24, (raw >>> 16) & 0xff, (raw >>> 8) & 0xff, raw & 0xff].join('.'), port };
}
