import type { Logger } from '../log.ts';
import { type Redis, Script } from '../redis/connection.ts';
import { KEY_PREFIX, keys, knockerChannel, processChannel } from '../redis/keys.ts';
import type { MemberAddress } from '../store/room-store.ts';
import { type Attachment, type FrameSink, MAX_UNACKED_FRAMES, type Outgoing, type SendOutcome, type SignalBus } from './signal-bus.ts';

// Numbers the frame for each addressee, keeps it in their inbox and tells the process holding them,
// in one step, so frames to a member are numbered in the order they were sent, whichever process sent them.
// KEYS: the peer hash. ARGV: seq. 1 when the number is new (and now taken).
const TAKE = new Script(`
if tonumber(ARGV[1]) <= (tonumber(redis.call('HGET', KEYS[1], 'recv')) or 0) then return 0 end
redis.call('HSET', KEYS[1], 'recv', ARGV[1])
return 1`);

// KEYS: members, the cause's peer hash (or the members key again when there is no cause).
// ARGV: key prefix, 'to' | 'all-but', peer id, frame, cause seq (0: none), inbox length.
const SEND = new Script(`
local seq = tonumber(ARGV[5])
if seq > 0 then
  if seq <= (tonumber(redis.call('HGET', KEYS[2], 'recv')) or 0) then return 'duplicate' end
  redis.call('HSET', KEYS[2], 'recv', seq)
end
local targets = {}
if ARGV[2] == 'to' then
  if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 0 then return 'not-member' end
  targets = {ARGV[3]}
else
  for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
    if id ~= ARGV[3] then table.insert(targets, id) end
  end
end
local head = string.sub(ARGV[4], 1, -2) .. ',"seq":'
for _, id in ipairs(targets) do
  local peer = ARGV[1] .. 'peer:' .. id
  local n = redis.call('HINCRBY', peer, 'seq', 1)
  local numbered = head .. n .. '}'
  redis.call('XADD', peer .. ':inbox', 'MAXLEN', ARGV[6], n .. '-0', 'f', numbered)
  local holder = redis.call('HGET', peer, 'holder')
  if holder then redis.call('PUBLISH', ARGV[1] .. 'process:' .. holder, 'f ' .. id .. ' ' .. n .. ' ' .. numbered) end
end
return 'sent'`);

// KEYS: peer hash, inbox. ARGV: key prefix, peer id, this process, room id, the client's last seq.
// Replies {resendFrom, receivedSeq, frame…}: the kept frames from resendFrom on.
const ATTACH = new Script(`
local previous = redis.call('HGET', KEYS[1], 'holder')
local entry = ARGV[4] .. ' ' .. ARGV[2]
if previous and previous ~= ARGV[3] then
  redis.call('SREM', ARGV[1] .. 'held:' .. previous, entry)
  redis.call('PUBLISH', ARGV[1] .. 'process:' .. previous, 't ' .. ARGV[2])
end
redis.call('HSET', KEYS[1], 'holder', ARGV[3], 'room', ARGV[4])
redis.call('SADD', ARGV[1] .. 'held:' .. ARGV[3], entry)
local sent = tonumber(redis.call('HGET', KEYS[1], 'seq')) or 0
local from = math.min(tonumber(ARGV[5]), sent) + 1
local reply = {from, tonumber(redis.call('HGET', KEYS[1], 'recv')) or 0}
for _, e in ipairs(redis.call('XRANGE', KEYS[2], from .. '-0', '+')) do table.insert(reply, e[2][2]) end
return reply`);

// KEYS: peer hash, inbox. ARGV: key prefix, peer id.
const FORGET = new Script(`
local holder = redis.call('HGET', KEYS[1], 'holder')
local room = redis.call('HGET', KEYS[1], 'room')
if holder and room then redis.call('SREM', ARGV[1] .. 'held:' .. holder, room .. ' ' .. ARGV[2]) end
redis.call('DEL', KEYS[1], KEYS[2])
return 0`);

/** A member whose socket this process holds: what has gone out on it, and what waits while it is being attached or caught up. */
interface LocalMember {
  sink: FrameSink;
  lastSent: number;
  /** Frames that arrived while the member was being attached or caught up, in arrival order. */
  waiting: { seq: number; frame: string }[] | undefined;
}

/**
 * The bus across processes. A member's frames go into a Redis Stream (their
 * inbox), numbered there, and the same script publishes each to the process
 * holding the member's socket. Pub/sub is only the fast path: it loses what
 * is published while a subscriber reconnects, so a process that sees a gap in
 * a member's numbers, or gets its subscription back, reads the missing frames
 * from the inbox. The stream is per member rather than per room because
 * numbering, acknowledgement and resending are per member: a resumed member
 * reads its own inbox from its last number, with nothing to filter.
 */
export class RedisSignalBus implements SignalBus {
  private readonly local = new Map<string, LocalMember>();
  private readonly takenOver: ((peerId: string) => void)[] = [];
  private readonly knockerListeners: ((knockId: string, frame: string) => void)[] = [];

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly processId: string,
    private readonly log: Logger,
  ) {}

  /** `subscriber` must be a connection of its own (a subscribed connection can do nothing else). */
  static async start(redis: Redis, subscriber: Redis, processId: string, log: Logger): Promise<RedisSignalBus> {
    const bus = new RedisSignalBus(redis, subscriber, processId, log);
    await subscriber.subscribe(processChannel(processId), (message) => bus.onChannelMessage(message));
    await subscriber.subscribe(knockerChannel, (message) => bus.onKnockerMessage(message));
    // Whatever was published while the subscription was down is in the inboxes.
    subscriber.on('ready', () => bus.catchUpAll());
    return bus;
  }

  async send({ roomId, addressee, frame, cause }: Outgoing): Promise<SendOutcome> {
    const [mode, peerId] = 'to' in addressee ? ['to', addressee.to] : ['all-but', addressee.allBut];
    const causeKey = cause ? keys.peer(cause.peerId) : keys.members(roomId);
    return (await SEND.run(this.redis, [keys.members(roomId), causeKey], [KEY_PREFIX, mode, peerId, frame, cause?.seq ?? 0, MAX_UNACKED_FRAMES])) as SendOutcome;
  }

  async attach({ roomId, peerId }: MemberAddress, sink: FrameSink, afterSeq: number, greet: (attachment: Attachment) => void): Promise<Attachment> {
    const previous = this.local.get(peerId);
    const member: LocalMember = { sink, lastSent: 0, waiting: [] };
    this.local.set(peerId, member);
    if (previous && previous.sink !== sink) previous.sink.supersede();
    const reply = (await ATTACH.run(this.redis, [keys.peer(peerId), keys.inbox(peerId)], [KEY_PREFIX, peerId, this.processId, roomId, afterSeq])) as [number, number, ...string[]];
    const [resendFrom, receivedSeq, ...kept] = reply;
    const attachment = { resendFrom: Number(resendFrom), receivedSeq: Number(receivedSeq) };
    if (this.local.get(peerId) !== member) return attachment;
    greet(attachment);
    member.lastSent = attachment.resendFrom - 1;
    for (const frame of kept) this.hand(member, seqOf(frame), frame);
    await this.release(peerId, member);
    return attachment;
  }

  async take(peerId: string, seq: number): Promise<boolean> {
    return Number(await TAKE.run(this.redis, [keys.peer(peerId)], [seq])) === 1;
  }

  detach(peerId: string, sink: FrameSink): void {
    if (this.local.get(peerId)?.sink === sink) this.local.delete(peerId);
  }

  acknowledge(peerId: string, seq: number): void {
    this.redis.xTrim(keys.inbox(peerId), 'MINID', `${seq + 1}-0`).catch((err: unknown) => this.warn('acknowledge', err));
  }

  onTakenOver(listener: (peerId: string) => void): void {
    this.takenOver.push(listener);
  }

  async tellKnocker(knockId: string, frame: string): Promise<void> {
    // Every process hears it: knocks are rare, and a knocker's socket may move between processes with each reload.
    await this.redis.publish(knockerChannel, `${knockId} ${frame}`);
  }

  onKnockerNews(listener: (knockId: string, frame: string) => void): void {
    this.knockerListeners.push(listener);
  }

  async forget(peerId: string): Promise<void> {
    this.local.delete(peerId);
    await FORGET.run(this.redis, [keys.peer(peerId), keys.inbox(peerId)], [KEY_PREFIX, peerId]);
  }

  async close(): Promise<void> {
    this.local.clear();
    await this.subscriber.unsubscribe([processChannel(this.processId), knockerChannel]);
  }

  private onChannelMessage(message: string): void {
    if (message.startsWith('t ')) return this.onTakenOverMessage(message.slice(2));
    // `f <peer> <seq> <frame>`
    const afterPeer = message.indexOf(' ', 2);
    const afterSeq = message.indexOf(' ', afterPeer + 1);
    const member = this.local.get(message.slice(2, afterPeer));
    if (!member) return;
    const seq = Number(message.slice(afterPeer + 1, afterSeq));
    const frame = message.slice(afterSeq + 1);
    if (member.waiting) member.waiting.push({ seq, frame });
    else if (seq === member.lastSent + 1) this.hand(member, seq, frame);
    else if (seq > member.lastSent + 1) void this.catchUp(message.slice(2, afterPeer), member, [{ seq, frame }]);
  }

  /** `<knock id> <frame>` */
  private onKnockerMessage(message: string): void {
    const space = message.indexOf(' ');
    for (const listener of this.knockerListeners) listener(message.slice(0, space), message.slice(space + 1));
  }

  private onTakenOverMessage(peerId: string): void {
    const member = this.local.get(peerId);
    this.local.delete(peerId);
    member?.sink.supersede();
    for (const listener of this.takenOver) listener(peerId);
  }

  /** Sends a frame on, unless it went out already. */
  private hand(member: LocalMember, seq: number, frame: string): void {
    if (seq <= member.lastSent) return;
    member.lastSent = seq;
    member.sink.sendFrame(frame);
  }

  /** A gap in a member's numbers: read what is missing from the inbox, then what waited meanwhile. */
  private async catchUp(peerId: string, member: LocalMember, waiting: { seq: number; frame: string }[] = []): Promise<void> {
    if (member.waiting) return void member.waiting.push(...waiting);
    member.waiting = waiting;
    try {
      const entries = await this.redis.xRange(keys.inbox(peerId), `${member.lastSent + 1}-0`, '+');
      for (const { message } of entries ?? []) this.hand(member, seqOf(message.f!), message.f!);
    } catch (err) {
      this.warn('catch-up', err);
    }
    await this.release(peerId, member);
  }

  private catchUpAll(): void {
    for (const [peerId, member] of this.local) void this.catchUp(peerId, member);
  }

  /** Hands on what waited during an attach or catch-up, in order; a gap left means another catch-up. */
  private async release(peerId: string, member: LocalMember): Promise<void> {
    const waiting = (member.waiting ?? []).sort((a, b) => a.seq - b.seq);
    member.waiting = undefined;
    for (const { seq, frame } of waiting) {
      if (seq > member.lastSent + 1)
        return this.catchUp(
          peerId,
          member,
          waiting.filter((w) => w.seq >= seq),
        );
      this.hand(member, seq, frame);
    }
  }

  private warn(what: string, err: unknown): void {
    this.log.warn('bus-failed', { what, message: err instanceof Error ? err.message : String(err) });
  }
}

/** The number the bus put last in a frame. */
function seqOf(frame: string): number {
  return Number(frame.slice(frame.lastIndexOf(':') + 1, -1));
}
