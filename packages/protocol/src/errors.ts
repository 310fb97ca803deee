/** Every error the server can report; the UI maps each to a message a person can act on. */
export const ERROR_CODES = [
  'bad-message',
  'message-too-large',
  'unsupported-version',
  'out-of-order',
  'room-not-found',
  'room-full',
  'room-locked',
  'wrong-passcode',
  'not-room-host',
  'peer-not-found',
  'too-many-candidates',
  'rate-limited',
  'session-expired',
  'internal',
  /** The host lets people in one by one: knock (and wait) rather than join. */
  'knock-required',
  /** Too many people are already waiting to be let into this room. */
  'waiting-list-full',
  /** No knock with that token is waiting (it expired, was cancelled, or the host already answered it). */
  'knock-not-found',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
