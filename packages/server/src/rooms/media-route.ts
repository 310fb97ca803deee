import { type MediaRoute, SFU_FROM_PEERS, SFU_TO_MESH_DELAY_MS } from '@videoapp/protocol';
import type { RoomStore } from '../store/room-store.ts';

/** What a room's route should do now: nothing, move at once, or move once the room has stayed small for a while. */
export type RouteDecision = { kind: 'stay' } | { kind: 'move'; to: MediaRoute } | { kind: 'move-later'; to: 'mesh' };

/**
 * P2P for two, the SFU from SFU_FROM_PEERS people (when there is an SFU);
 * back to P2P only after the room has been small for a while, since someone
 * may be rejoining. Without an SFU every room stays on (or returns to) the mesh.
 */
export function decideRoute(current: MediaRoute, members: number, hasSfu: boolean): RouteDecision {
  if (!hasSfu) return current === 'sfu' ? { kind: 'move', to: 'mesh' } : { kind: 'stay' };
  if (current === 'mesh') return members >= SFU_FROM_PEERS ? { kind: 'move', to: 'sfu' } : { kind: 'stay' };
  if (members >= SFU_FROM_PEERS) return { kind: 'stay' };
  // An empty room has nobody to wait for.
  return members === 0 ? { kind: 'move', to: 'mesh' } : { kind: 'move-later', to: 'mesh' };
}

export interface RoomRoutesDeps {
  store: RoomStore;
  hasSfu: boolean;
  /** How long a room must stay small before it returns to the mesh (SFU_TO_MESH_DELAY_MS). */
  toMeshDelayMs?: number;
  /** The route moved (this process won the move): tell the room, all but `except`, who learns it otherwise. */
  announce(roomId: string, route: MediaRoute, except: string | undefined): Promise<void>;
  /** A move failed in the background (a timer's); logged by the owner. */
  failed(err: unknown): void;
}

/**
 * Keeps each room's media route (held in the room store, so every process
 * agrees) in line with its number of people, using `decideRoute`. The return
 * to the mesh waits on a timer in the process that saw the room shrink.
 */
export class RoomRoutes {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delayMs: number;

  constructor(private readonly deps: RoomRoutesDeps) {
    this.delayMs = deps.toMeshDelayMs ?? SFU_TO_MESH_DELAY_MS;
  }

  /** The room now has `members` people: moves its route if it should; returns the route. `joiner` hears it in `joined`, not announced. */
  async settle(roomId: string, members: number, joiner?: string): Promise<MediaRoute> {
    const current = await this.deps.store.route(roomId);
    const decision = decideRoute(current, members, this.deps.hasSfu);
    switch (decision.kind) {
      case 'stay':
        this.cancel(roomId);
        return current;
      case 'move':
        this.cancel(roomId);
        return this.move(roomId, current, decision.to, joiner);
      case 'move-later':
        if (!this.timers.has(roomId)) this.later(roomId);
        return current;
    }
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async move(roomId: string, from: MediaRoute, to: MediaRoute, joiner: string | undefined): Promise<MediaRoute> {
    if (!(await this.deps.store.moveRoute(roomId, from, to))) return this.deps.store.route(roomId);
    await this.deps.announce(roomId, to, joiner);
    return to;
  }

  /** Back to the mesh after the delay, if the room is still small and still on the SFU then. */
  private later(roomId: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(roomId);
      void this.expire(roomId).catch((err: unknown) => this.deps.failed(err));
    }, this.delayMs);
    timer.unref();
    this.timers.set(roomId, timer);
  }

  private async expire(roomId: string): Promise<void> {
    const members = (await this.deps.store.members(roomId)).length;
    const current = await this.deps.store.route(roomId);
    const decision = decideRoute(current, members, this.deps.hasSfu);
    if (decision.kind !== 'stay') await this.move(roomId, current, decision.to, undefined);
  }

  private cancel(roomId: string): void {
    clearTimeout(this.timers.get(roomId));
    this.timers.delete(roomId);
  }
}
