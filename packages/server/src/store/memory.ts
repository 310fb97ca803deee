import { randomBytes } from 'node:crypto';
import { generateRoomId, type MediaRoute, type PeerInfo } from '@videoapp/protocol';
import type { SfuRoomKey } from '../sfu/sfu-adapter.ts';
import { type AddKnockOutcome, byArrival, type KnockRecord, type KnockState } from './knock-queue.ts';
import type { JoinOutcome, MemberAddress, MemberRecord, RoomAccess, RoomSecrets, RoomStatus, RoomStore } from './room-store.ts';

interface Room {
  members: Map<string, MemberRecord>;
  secrets: RoomSecrets;
  locked: boolean;
  askToJoin: boolean;
  /** Knocks by id. */
  knocks: Map<string, KnockRecord>;
  life: string;
  route: MediaRoute;
  sfu: SfuRoomKey | undefined;
  /** Members whose hand is up; a Set keeps the order they raised them in. */
  hands: Set<string>;
  /** When the last member left (or the room was created); undefined while occupied. */
  emptySince: number | undefined;
}

export interface StoreOptions {
  capacity: number;
  emptyRoomTtlMs: number;
  now?: () => number;
}

/** Rooms in this process's memory: the default, needing no other service. One process holds every socket, so nothing is ever orphaned. */
export class MemoryRoomStore implements RoomStore {
  readonly ready = true;
  readonly shared: boolean = false;
  private readonly rooms = new Map<string, Room>();
  /** `roomId peerId` → epoch ms when their grace runs out. */
  private readonly away = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: StoreOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.expireEmptyRooms(), Math.min(30_000, options.emptyRoomTtlMs));
    this.sweeper.unref();
  }

  async createRoom(secrets: RoomSecrets): Promise<string> {
    let id = generateRoomId();
    while (this.rooms.has(id)) id = generateRoomId();
    this.rooms.set(id, {
      members: new Map(),
      secrets: { ...secrets },
      locked: false,
      askToJoin: false,
      knocks: new Map(),
      life: randomBytes(8).toString('hex'),
      route: 'mesh',
      sfu: undefined,
      hands: new Set(),
      emptySince: this.now(),
    });
    return id;
  }

  async status(roomId: string): Promise<RoomStatus | undefined> {
    const room = this.liveRoom(roomId);
    return room && { peers: room.members.size, capacity: this.options.capacity, passcode: room.secrets.passcodeHash !== undefined, locked: room.locked, askToJoin: room.askToJoin };
  }

  async access(roomId: string): Promise<RoomAccess | undefined> {
    const room = this.liveRoom(roomId);
    return room && { ...room.secrets, locked: room.locked, askToJoin: room.askToJoin, life: room.life };
  }

  async setLocked(roomId: string, locked: boolean): Promise<void> {
    const room = this.rooms.get(roomId);
    if (room) room.locked = locked;
  }

  async setAskToJoin(roomId: string, on: boolean): Promise<void> {
    const room = this.rooms.get(roomId);
    if (room) room.askToJoin = on;
  }

  async addKnock(roomId: string, knock: KnockRecord, max: number): Promise<AddKnockOutcome> {
    const room = this.liveRoom(roomId);
    if (!room) return 'room-not-found';
    let waiting = 0;
    for (const k of room.knocks.values()) if (k.state === 'waiting') waiting++;
    if (waiting >= max) return 'waiting-list-full';
    room.knocks.set(knock.id, { ...knock });
    return 'added';
  }

  async knock(roomId: string, knockId: string): Promise<KnockRecord | undefined> {
    const knock = this.liveRoom(roomId)?.knocks.get(knockId);
    return knock && { ...knock };
  }

  async knocks(roomId: string): Promise<KnockRecord[]> {
    return Array.from(this.liveRoom(roomId)?.knocks.values() ?? [], (k) => ({ ...k })).sort(byArrival);
  }

  async answerKnock(roomId: string, knockId: string, to: Exclude<KnockState, 'waiting'>): Promise<KnockRecord | undefined> {
    const knock = this.rooms.get(roomId)?.knocks.get(knockId);
    if (knock?.state !== 'waiting') return undefined;
    knock.state = to;
    return { ...knock };
  }

  async revisitKnock(roomId: string, knockId: string): Promise<number | undefined> {
    const knock = this.rooms.get(roomId)?.knocks.get(knockId);
    if (!knock) return undefined;
    return ++knock.visit;
  }

  async removeKnock(roomId: string, knockId: string, visit?: number): Promise<boolean> {
    const knocks = this.rooms.get(roomId)?.knocks;
    const knock = knocks?.get(knockId);
    if (!knock || (visit !== undefined && knock.visit !== visit)) return false;
    return knocks!.delete(knockId);
  }

  async hostIds(roomId: string): Promise<string[]> {
    return Array.from(this.rooms.get(roomId)?.members.values() ?? []).flatMap((m) => (m.host ? [m.id] : []));
  }

  async route(roomId: string): Promise<MediaRoute> {
    return this.rooms.get(roomId)?.route ?? 'mesh';
  }

  async moveRoute(roomId: string, from: MediaRoute, to: MediaRoute): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (room?.route !== from) return false;
    room.route = to;
    return true;
  }

  async sfuRoom(roomId: string): Promise<SfuRoomKey | undefined> {
    return this.liveRoom(roomId)?.sfu;
  }

  async claimSfuRoom(roomId: string, key: SfuRoomKey): Promise<SfuRoomKey | undefined> {
    const room = this.liveRoom(roomId);
    if (!room) return undefined;
    room.sfu ??= key;
    return room.sfu;
  }

  async releaseSfuRoom(roomId: string, key: SfuRoomKey): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (room?.sfu?.sfuRoomId !== key.sfuRoomId) return false;
    room.sfu = undefined;
    return true;
  }

  async join(roomId: string, life: string, member: MemberRecord): Promise<JoinOutcome> {
    const room = this.liveRoom(roomId);
    if (!room || room.life !== life) return { ok: false, code: 'room-not-found' };
    if (room.locked && !member.host) return { ok: false, code: 'room-locked' };
    if (room.members.size >= this.options.capacity) return { ok: false, code: 'room-full' };
    return this.add(room, member);
  }

  async restore(roomId: string, life: string, member: MemberRecord): Promise<JoinOutcome> {
    let room = this.liveRoom(roomId);
    if (room && room.life !== life) return { ok: false, code: 'room-not-found' };
    if (!room) {
      // Rebuilt after a restart, the room's secrets are gone with the old process: it comes back locked,
      // so only people resuming their places (and the host, who may unlock it) get in — never a guesser.
      room = { members: new Map(), secrets: { hostKeyHash: '' }, locked: true, askToJoin: false, knocks: new Map(), life, route: 'mesh', sfu: undefined, hands: new Set(), emptySince: undefined };
      this.rooms.set(roomId, room);
    }
    if (!room.members.has(member.id) && room.members.size >= this.options.capacity) return { ok: false, code: 'room-full' };
    return this.add(room, member);
  }

  async leave(roomId: string, peerId: string): Promise<boolean> {
    this.away.delete(`${roomId} ${peerId}`);
    const room = this.rooms.get(roomId);
    if (!room?.members.delete(peerId)) return false;
    room.hands.delete(peerId);
    if (room.members.size === 0) room.emptySince = this.now();
    return true;
  }

  async members(roomId: string): Promise<PeerInfo[]> {
    return peerInfos(this.rooms.get(roomId)?.members.values() ?? []);
  }

  async raiseHand(roomId: string, peerId: string): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (!room?.members.has(peerId) || room.hands.has(peerId)) return false;
    room.hands.add(peerId);
    return true;
  }

  async lowerHand(roomId: string, peerId: string): Promise<boolean> {
    return this.rooms.get(roomId)?.hands.delete(peerId) ?? false;
  }

  async raisedHands(roomId: string): Promise<string[]> {
    return [...(this.rooms.get(roomId)?.hands ?? [])];
  }

  async markAway({ roomId, peerId }: MemberAddress, until: number): Promise<void> {
    if (this.hasMember(roomId, peerId)) this.away.set(`${roomId} ${peerId}`, until);
  }

  async markBack({ roomId, peerId }: MemberAddress): Promise<void> {
    this.away.delete(`${roomId} ${peerId}`);
  }

  async takeExpired(now: number): Promise<MemberAddress[]> {
    const expired: MemberAddress[] = [];
    for (const [key, until] of this.away) {
      if (until > now) continue;
      this.away.delete(key);
      const [roomId = '', peerId = ''] = key.split(' ');
      expired.push({ roomId, peerId });
    }
    return expired;
  }

  async renewLease(): Promise<void> {}

  async takeOrphans(): Promise<MemberAddress[]> {
    return [];
  }

  /** For the in-memory bus, which shares this process. */
  hasMember(roomId: string, peerId: string): boolean {
    return this.rooms.get(roomId)?.members.has(peerId) ?? false;
  }

  memberIds(roomId: string): Iterable<string> {
    return this.rooms.get(roomId)?.members.keys() ?? [];
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.rooms.clear();
    this.away.clear();
  }

  private add(room: Room, member: MemberRecord): JoinOutcome {
    const others = peerInfos([...room.members.values()].filter((m) => m.id !== member.id));
    room.members.set(member.id, { ...member });
    room.emptySince = undefined;
    return { ok: true, others };
  }

  /** The room, unless it has been empty past its time to live (checked here too, not only by the sweep). */
  private liveRoom(roomId: string): Room | undefined {
    const room = this.rooms.get(roomId);
    if (room && this.isExpired(room)) {
      this.rooms.delete(roomId);
      return undefined;
    }
    return room;
  }

  private isExpired(room: Room): boolean {
    return room.emptySince !== undefined && this.now() - room.emptySince >= this.options.emptyRoomTtlMs;
  }

  private expireEmptyRooms(): void {
    for (const [id, room] of this.rooms) if (this.isExpired(room)) this.rooms.delete(id);
  }
}

function peerInfos(members: Iterable<MemberRecord>): PeerInfo[] {
  return Array.from(members, ({ id, name }) => ({ id, name }));
}
