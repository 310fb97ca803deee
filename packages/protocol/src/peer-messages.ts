/**
 * What peers say to each other directly, over the call's data channel. The
 * server never sees these; each end validates what it receives with the same
 * schema, since the other end is just as untrusted as any network input.
 */
import { MAX_CHAT_CHARS } from './limits.ts';
import { type Infer, integer, string, tagged, union } from './schema.ts';

export const PeerMessage = union([
  /** `sentAt`: the sender's clock in ms, for display only (clocks differ; order is arrival order). */
  tagged('chat', { text: string({ min: 1, max: MAX_CHAT_CHARS }), sentAt: integer(0, Number.MAX_SAFE_INTEGER) }),
  /** Our video arrives at the other side but does not decode there (a key frame was lost): send a key frame. */
  tagged('key-frame-request', {}),
]);
export type PeerMessage = Infer<typeof PeerMessage>;

/** Longest encoded peer message worth parsing: a chat at its limit with every character JSON-escaped (\uXXXX), plus the envelope. */
export const MAX_PEER_MESSAGE_CHARS = MAX_CHAT_CHARS * 6 + 256;
