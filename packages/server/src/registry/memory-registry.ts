import { randomBytes } from 'node:crypto';
import { generateRoomId, type PeerInfo } from '@videoapp/protocol';
import type { JoinOutcome, Member, RoomAccess, RoomRegistry, RoomSecrets, RoomStatus } from './room-registry.ts';

interface Room {
  members: Map<string, Member>;
  secrets: RoomSecrets;
  locked: boolean;
  life: string;
  /** When the last member left (or the room was created); undefined while occupied. */
  emptySince: number | undefined;
}

export interface MemoryRegistryOptions {
  capacity: number;
  emptyRoomTtlMs: number;
  now?: () => number;
}

/** Rooms in this process's memory: the default, needing no other service. */
export class MemoryRoomRegistry implements RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: MemoryRegistryOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.expireEmptyRooms(), Math.min(30_000, options.emptyRoomTtlMs));
    this.sweeper.unref();
  }

  async createRoom(secrets: RoomSecrets): Promise<string> {
    let id = generateRoomId();
    while (this.rooms.has(id)) id = generateRoomId();
    this.rooms.set(id, { members: new Map(), secrets: { ...secrets }, locked: false, life: randomBytes(8).toString('hex'), emptySince: this.now() });
    return id;
  }

  async status(roomId: string): Promise<RoomStatus | undefined> {
    const room = this.liveRoom(roomId);
    return room && { peers: room.members.size, capacity: this.options.capacity, passcode: room.secrets.passcodeHash !== undefined, locked: room.locked };
  }

  async access(roomId: string): Promise<RoomAccess | undefined> {
    const room = this.liveRoom(roomId);
    return room && { ...room.secrets, locked: room.locked, life: room.life };
  }

  async setLocked(roomId: string, locked: boolean): Promise<void> {
    const room = this.rooms.get(roomId);
    if (room) room.locked = locked;
  }

  async join(roomId: string, member: Member, options: { host: boolean; life: string }): Promise<JoinOutcome> {
    const room = this.liveRoom(roomId);
    if (!room || room.life !== options.life) return { ok: false, code: 'room-not-found' };
    if (room.locked && !options.host) return { ok: false, code: 'room-locked' };
    if (room.members.size >= this.options.capacity) return { ok: false, code: 'room-full' };
    const others = peerInfos(room.members.values());
    room.members.set(member.id, member);
    room.emptySince = undefined;
    return { ok: true, others };
  }

  async restore(roomId: string, life: string, member: Member): Promise<JoinOutcome> {
    let room = this.liveRoom(roomId);
    if (room && room.life !== life) return { ok: false, code: 'room-not-found' };
    if (!room) {
      // Rebuilt after a restart, the room's secrets are gone with the old process: it comes back locked,
      // so only people resuming their places (and the host, who may unlock it) get in — never a guesser.
      room = { members: new Map(), secrets: { hostKeyHash: '' }, locked: true, life, emptySince: undefined };
      this.rooms.set(roomId, room);
    }
    room.members.delete(member.id);
    if (room.members.size >= this.options.capacity) return { ok: false, code: 'room-full' };
    const others = peerInfos(room.members.values());
    room.members.set(member.id, member);
    room.emptySince = undefined;
    return { ok: true, others };
  }

  async leave(roomId: string, peerId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room?.members.delete(peerId)) return;
    if (room.members.size === 0) room.emptySince = this.now();
  }

  async members(roomId: string): Promise<PeerInfo[]> {
    return peerInfos(this.rooms.get(roomId)?.members.values() ?? []);
  }

  sendTo(roomId: string, peerId: string, frame: string): boolean {
    const member = this.rooms.get(roomId)?.members.get(peerId);
    if (!member) return false;
    member.deliver(frame);
    return true;
  }

  broadcast(roomId: string, exceptPeerId: string, frame: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    for (const [id, member] of room.members) if (id !== exceptPeerId) member.deliver(frame);
  }

  roomCount(): number {
    return this.rooms.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.rooms.clear();
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

function peerInfos(members: Iterable<Member>): PeerInfo[] {
  return Array.from(members, ({ id, name }) => ({ id, name }));
}
