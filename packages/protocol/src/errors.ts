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
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
