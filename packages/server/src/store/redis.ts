import { randomBytes } from 'node:crypto';
import { generateRoomId, type MediaRoute, type PeerInfo } from '@videoapp/protocol';
import type { Redis } from '../redis/connection.ts';
import { Script } from '../redis/connection.ts';
import { KEY_PREFIX, keys } from '../redis/keys.ts';
import type { SfuRoomKey } from '../sfu/sfu-adapter.ts';
import { type AddKnockOutcome, byArrival, type KnockRecord, type KnockState } from './knock-queue.ts';
import type { JoinOutcome, MemberAddress, MemberRecord, RoomAccess, RoomSecrets, RoomStatus, RoomStore } from './room-store.ts';

/** A process whose lease is not renewed for this long is taken for dead, and its members are orphaned. */
export const PROCESS_LEASE_MS = 5_000;
/** Members handed over per sweep, so one sweep after a big crash stays short. */
export const MAX_TAKEN_PER_SWEEP = 500;

// ARGV[1]: the secrets as a flat list; KEYS: room. Refuses an ID already taken.
const CREATE = new Script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'life', ARGV[1], 'host', ARGV[2], 'pass', ARGV[3], 'locked', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`);

// KEYS: room, members. ARGV: life, peer id, member JSON, is host, capacity. Replies {outcome, members…}.
const JOIN = new Script(`
if redis.call('HGET', KEYS[1], 'life') ~= ARGV[1] then return {'room-not-found'} end
if ARGV[4] ~= '1' and redis.call('HGET', KEYS[1], 'locked') == '1' then return {'room-locked'} end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[5]) then return {'room-full'} end
local others = redis.call('HGETALL', KEYS[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('PERSIST', KEYS[1])
return {'ok', unpack(others)}`);

// KEYS: room, members. ARGV: life, peer id, member JSON, capacity. A room Redis lost comes back locked.
const RESTORE = new Script(`
local life = redis.call('HGET', KEYS[1], 'life')
if life and life ~= ARGV[1] then return {'room-not-found'} end
if not life then redis.call('HSET', KEYS[1], 'life', ARGV[1], 'host', '', 'pass', '', 'locked', '1') end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then return {'room-full'} end
redis.call('HDEL', KEYS[2], ARGV[2])
local others = redis.call('HGETALL', KEYS[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('PERSIST', KEYS[1])
return {'ok', unpack(others)}`);

// KEYS: room, members, away, hands. ARGV: peer id, empty-room TTL, away entry. 1 only for the call that removed the member.
const LEAVE = new Script(`
redis.call('ZREM', KEYS[3], ARGV[3])
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('HLEN', KEYS[2]) == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`);

// KEYS: room. ARGV: '1' or '0'.
const SET_LOCKED = new Script(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'locked', ARGV[1]) end
return 0`);

// KEYS: room. ARGV: from, to. A room without a route is on the mesh.
const MOVE_ROUTE = new Script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'route') or 'mesh') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'route', ARGV[2])
return 1`);

// KEYS: room. ARGV: the SFU room as '<id> <secret>'. Records it unless one is; replies what is recorded, or nothing for a room gone
// (a field set on a missing key would make a hash without the room's expiry).
const CLAIM_SFU_ROOM = new Script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSETNX', KEYS[1], 'sfu', ARGV[1])
return redis.call('HGET', KEYS[1], 'sfu')`);

// KEYS: room. ARGV: the SFU room id. 1 only for the call that removed it.
const RELEASE_SFU_ROOM = new Script(`
local recorded = redis.call('HGET', KEYS[1], 'sfu')
if not recorded or string.match(recorded, '^%d+') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'sfu')
return 1`);

// KEYS: room, members, hands. ARGV: peer id. Numbered by a counter in the room, so the order is the order Redis saw.
const RAISE_HAND = new Script(`
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[1], 'hands', 1), ARGV[1])
return 1`);

// KEYS: away. ARGV: now, most. Removing what it returns makes each entry one caller's.
const TAKE_EXPIRED = new Script(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, entry in ipairs(due) do redis.call('ZREM', KEYS[1], entry) end
return due`);

// KEYS: processes. ARGV: key prefix, most. Members of every process whose lease lapsed; each process is reaped once.
const TAKE_ORPHANS = new Script(`
local orphans = {}
for _, process in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'lease:' .. process) == 0 then
    local held = ARGV[1] .. 'held:' .. process
    for _, entry in ipairs(redis.call('SMEMBERS', held)) do table.insert(orphans, entry) end
    redis.call('DEL', held)
    redis.call('SREM', KEYS[1], process)
  end
  if #orphans >= tonumber(ARGV[2]) then break end
end
return orphans`);

/** A room's knocks are forgotten this long after the last change to them, whatever became of the room. */
export const KNOCKS_TTL_MS = 60 * 60_000;

// KEYS: room, knocks. ARGV: knock id, record JSON, most waiting, TTL.
const ADD_KNOCK = new Script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'room-not-found' end
local waiting = 0
for _, json in ipairs(redis.call('HVALS', KEYS[2])) do
  if cjson.decode(json).state == 'waiting' then waiting = waiting + 1 end
end
if waiting >= tonumber(ARGV[3]) then return 'waiting-list-full' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 'added'`);

// KEYS: knocks. ARGV: knock id, new state. Replies the moved record, or nothing when it was not waiting.
const ANSWER_KNOCK = new Script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
local knock = cjson.decode(json)
if knock.state ~= 'waiting' then return false end
knock.state = ARGV[2]
json = cjson.encode(knock)
redis.call('HSET', KEYS[1], ARGV[1], json)
return json`);

// KEYS: knocks. ARGV: knock id. Replies the new visit number, or nothing for a knock gone.
const REVISIT_KNOCK = new Script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
local knock = cjson.decode(json)
knock.visit = knock.visit + 1
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(knock))
return knock.visit`);

// KEYS: knocks. ARGV: knock id, visit ('' for any). 1 only for the call that removed it.
const REMOVE_KNOCK = new Script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return 0 end
if ARGV[2] ~= '' and cjson.decode(json).visit ~= tonumber(ARGV[2]) then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])`);

export interface RedisStoreOptions {
  capacity: number;
  emptyRoomTtlMs: number;
}

/** Rooms in Redis, shared by every server process of a deployment. */
export class RedisRoomStore implements RoomStore {
  readonly shared = true;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisStoreOptions,
  ) {}

  get ready(): boolean {
    return this.redis.isReady;
  }

  async createRoom(secrets: RoomSecrets): Promise<string> {
    const life = randomBytes(8).toString('hex');
    for (;;) {
      const id = generateRoomId();
      const created = await CREATE.run(this.redis, [keys.room(id)], [life, secrets.hostKeyHash, secrets.passcodeHash ?? '', this.options.emptyRoomTtlMs]);
      if (Number(created) === 1) return id;
    }
  }

  async status(roomId: string): Promise<RoomStatus | undefined> {
    const [room, peers] = await Promise.all([this.redis.hGetAll(keys.room(roomId)), this.redis.hLen(keys.members(roomId))]);
    if (!room.life) return undefined;
    return { peers: Number(peers), capacity: this.options.capacity, passcode: Boolean(room.pass), locked: room.locked === '1', askToJoin: room.ask === '1' };
  }

  async access(roomId: string): Promise<RoomAccess | undefined> {
    const room = await this.redis.hGetAll(keys.room(roomId));
    if (!room.life) return undefined;
    return { hostKeyHash: room.host ?? '', passcodeHash: room.pass || undefined, locked: room.locked === '1', askToJoin: room.ask === '1', life: room.life };
  }

  async setLocked(roomId: string, locked: boolean): Promise<void> {
    await SET_LOCKED.run(this.redis, [keys.room(roomId)], [locked ? '1' : '0']);
  }

  async setAskToJoin(roomId: string, on: boolean): Promise<void> {
    // HSET on a missing key would make a room without its expiry: only an existing room is changed.
    if (await this.redis.exists(keys.room(roomId))) await this.redis.hSet(keys.room(roomId), 'ask', on ? '1' : '0');
  }

  async addKnock(roomId: string, knock: KnockRecord, max: number): Promise<AddKnockOutcome> {
    return (await ADD_KNOCK.run(this.redis, [keys.room(roomId), keys.knocks(roomId)], [knock.id, JSON.stringify(knock), max, KNOCKS_TTL_MS])) as AddKnockOutcome;
  }

  async knock(roomId: string, knockId: string): Promise<KnockRecord | undefined> {
    return knockRecord(await this.redis.hGet(keys.knocks(roomId), knockId));
  }

  async knocks(roomId: string): Promise<KnockRecord[]> {
    return Object.values(await this.redis.hGetAll(keys.knocks(roomId)))
      .flatMap((json) => knockRecord(json) ?? [])
      .sort(byArrival);
  }

  async answerKnock(roomId: string, knockId: string, to: Exclude<KnockState, 'waiting'>): Promise<KnockRecord | undefined> {
    return knockRecord(await ANSWER_KNOCK.run(this.redis, [keys.knocks(roomId)], [knockId, to]));
  }

  async revisitKnock(roomId: string, knockId: string): Promise<number | undefined> {
    const visit = await REVISIT_KNOCK.run(this.redis, [keys.knocks(roomId)], [knockId]);
    return typeof visit === 'number' ? visit : undefined;
  }

  async removeKnock(roomId: string, knockId: string, visit?: number): Promise<boolean> {
    return Number(await REMOVE_KNOCK.run(this.redis, [keys.knocks(roomId)], [knockId, visit ?? ''])) === 1;
  }

  async hostIds(roomId: string): Promise<string[]> {
    const members = await this.redis.hGetAll(keys.members(roomId));
    return Object.entries(members).flatMap(([id, json]) => ((JSON.parse(json) as { host?: boolean }).host ? [id] : []));
  }

  async route(roomId: string): Promise<MediaRoute> {
    return (await this.redis.hGet(keys.room(roomId), 'route')) === 'sfu' ? 'sfu' : 'mesh';
  }

  async moveRoute(roomId: string, from: MediaRoute, to: MediaRoute): Promise<boolean> {
    return Number(await MOVE_ROUTE.run(this.redis, [keys.room(roomId)], [from, to])) === 1;
  }

  async sfuRoom(roomId: string): Promise<SfuRoomKey | undefined> {
    return sfuRoomKey(await this.redis.hGet(keys.room(roomId), 'sfu'));
  }

  async claimSfuRoom(roomId: string, key: SfuRoomKey): Promise<SfuRoomKey | undefined> {
    return sfuRoomKey(await CLAIM_SFU_ROOM.run(this.redis, [keys.room(roomId)], [`${key.sfuRoomId} ${key.secret}`]));
  }

  async releaseSfuRoom(roomId: string, key: SfuRoomKey): Promise<boolean> {
    return Number(await RELEASE_SFU_ROOM.run(this.redis, [keys.room(roomId)], [String(key.sfuRoomId)])) === 1;
  }

  async join(roomId: string, life: string, member: MemberRecord): Promise<JoinOutcome> {
    const reply = await JOIN.run(this.redis, [keys.room(roomId), keys.members(roomId)], [life, member.id, memberJson(member), member.host ? '1' : '0', this.options.capacity]);
    return joinOutcome(reply);
  }

  async restore(roomId: string, life: string, member: MemberRecord): Promise<JoinOutcome> {
    const reply = await RESTORE.run(this.redis, [keys.room(roomId), keys.members(roomId)], [life, member.id, memberJson(member), this.options.capacity]);
    return joinOutcome(reply);
  }

  async leave(roomId: string, peerId: string): Promise<boolean> {
    const removed = await LEAVE.run(this.redis, [keys.room(roomId), keys.members(roomId), keys.away, keys.hands(roomId)], [peerId, this.options.emptyRoomTtlMs, `${roomId} ${peerId}`]);
    return Number(removed) === 1;
  }

  async members(roomId: string): Promise<PeerInfo[]> {
    return peerInfos(Object.entries(await this.redis.hGetAll(keys.members(roomId))).flat());
  }

  async raiseHand(roomId: string, peerId: string): Promise<boolean> {
    return Number(await RAISE_HAND.run(this.redis, [keys.room(roomId), keys.members(roomId), keys.hands(roomId)], [peerId])) === 1;
  }

  async lowerHand(roomId: string, peerId: string): Promise<boolean> {
    return (await this.redis.zRem(keys.hands(roomId), peerId)) === 1;
  }

  async raisedHands(roomId: string): Promise<string[]> {
    return this.redis.zRange(keys.hands(roomId), 0, -1);
  }

  async markAway({ roomId, peerId }: MemberAddress, until: number): Promise<void> {
    await this.redis.zAdd(keys.away, { score: until, value: `${roomId} ${peerId}` });
  }

  async markBack({ roomId, peerId }: MemberAddress): Promise<void> {
    await this.redis.zRem(keys.away, `${roomId} ${peerId}`);
  }

  async takeExpired(now: number): Promise<MemberAddress[]> {
    return addresses(await TAKE_EXPIRED.run(this.redis, [keys.away], [now, MAX_TAKEN_PER_SWEEP]));
  }

  async renewLease(processId: string): Promise<void> {
    await this.redis.multi().set(keys.lease(processId), '1', { PX: PROCESS_LEASE_MS }).sAdd(keys.processes, processId).exec();
  }

  async takeOrphans(): Promise<MemberAddress[]> {
    return addresses(await TAKE_ORPHANS.run(this.redis, [keys.processes], [KEY_PREFIX, MAX_TAKEN_PER_SWEEP]));
  }

  async close(): Promise<void> {}
}

/** The SFU room as recorded ('<id> <secret>': the id stays a string in Lua, whose numbers would round it); anything else is no record. */
function sfuRoomKey(recorded: unknown): SfuRoomKey | undefined {
  if (typeof recorded !== 'string') return undefined;
  const [id = '', secret = ''] = recorded.split(' ');
  const sfuRoomId = Number(id);
  return /^\d+$/.test(id) && Number.isSafeInteger(sfuRoomId) && secret !== '' ? { sfuRoomId, secret } : undefined;
}

function knockRecord(json: unknown): KnockRecord | undefined {
  return typeof json === 'string' ? (JSON.parse(json) as KnockRecord) : undefined;
}

function memberJson(member: MemberRecord): string {
  return JSON.stringify({ name: member.name, host: member.host });
}

/** A script's {outcome, id, json, id, json…} reply. */
function joinOutcome(reply: unknown): JoinOutcome {
  const [outcome, ...others] = reply as string[];
  if (outcome === 'ok') return { ok: true, others: peerInfos(others) };
  return { ok: false, code: outcome as 'room-not-found' | 'room-full' | 'room-locked' };
}

function peerInfos(flat: string[]): PeerInfo[] {
  const peers: PeerInfo[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) peers.push({ id: flat[i]!, name: (JSON.parse(flat[i + 1]!) as { name: string }).name });
  return peers;
}

function addresses(reply: unknown): MemberAddress[] {
  return (reply as string[]).map((entry) => {
    const [roomId = '', peerId = ''] = entry.split(' ');
    return { roomId, peerId };
  });
}
