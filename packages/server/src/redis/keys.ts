/**
 * Where VideoApp keeps its state in Redis; the room store and the signal bus
 * share this layout. Scripts build a member's keys from its id, which a
 * single Redis (or a primary with replicas) allows; Redis Cluster would need
 * every key passed in, and is not supported.
 */
export const KEY_PREFIX = 'va:';

export const keys = {
  /** Hash: life, host (host key hash), pass (passcode hash), locked ('1' or '0'), ask ("Ask to join": '1', or '0' or absent), route ('mesh' when absent, or 'sfu'),
   * sfu ('<SFU room id> <secret>': the SFU room every process uses for it; the secret never leaves the servers),
   * hands (hands raised so far, which orders the raised hands whatever process's clock). */
  room: (roomId: string) => `${KEY_PREFIX}room:${roomId}`,
  /** Hash: peer id → JSON {name, host}. */
  members: (roomId: string) => `${KEY_PREFIX}room:${roomId}:members`,
  /** Sorted set of the peer ids whose hand is up, scored by the room's hand counter (`hands` in the room hash), so earliest first. */
  hands: (roomId: string) => `${KEY_PREFIX}room:${roomId}:hands`,
  /** Hash: knock id → JSON KnockRecord (see knock-queue.ts): who is knocking at the room. */
  knocks: (roomId: string) => `${KEY_PREFIX}room:${roomId}:knocks`,
  /** Hash: room, holder (process id), seq (frames numbered so far), recv (last client number taken). */
  peer: (peerId: string) => `${KEY_PREFIX}peer:${peerId}`,
  /** Stream of the member's numbered frames, entry id `<seq>-0`, trimmed on acknowledgement and to MAX_UNACKED_FRAMES. */
  inbox: (peerId: string) => `${KEY_PREFIX}peer:${peerId}:inbox`,
  /** Sorted set of `<room> <peer>` by the epoch ms their grace runs out. */
  away: `${KEY_PREFIX}away`,
  /** Set of every process id that has held sockets. */
  processes: `${KEY_PREFIX}processes`,
  /** String that lives while the process renews it. */
  lease: (processId: string) => `${KEY_PREFIX}lease:${processId}`,
  /** Set of `<room> <peer>` the process holds. */
  held: (processId: string) => `${KEY_PREFIX}held:${processId}`,
  /** String, present while a session that ended might still present a token. */
  ended: (peerId: string) => `${KEY_PREFIX}ended:${peerId}`,
  /** Counter of one allowance in one minute. */
  rate: (limit: string, window: number, key: string) => `${KEY_PREFIX}rate:${limit}:${window}:${key}`,
};

/** Each process hears about its members on its own channel. */
/** Every process hears what knockers are told here, and passes on what is for a knocker whose socket it holds. */
export const knockerChannel = `${KEY_PREFIX}knockers`;

export const processChannel = (processId: string) => `${KEY_PREFIX}process:${processId}`;
