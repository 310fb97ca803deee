/**
 * Peer ids of sessions that ended (hung up, left, lost), whose resume tokens
 * must not bring them back. Each is remembered until the last token it was
 * given expires. Kept where it outlives a restart (a file, or Redis), since
 * the resume secret does.
 */
export interface EndedSessionLog {
  /** Remembers that the session ended; resolves once that is durable. */
  end(peerId: string): Promise<void>;
  has(peerId: string): Promise<boolean>;
  close(): void;
}
