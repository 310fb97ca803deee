import type { LinkKeys } from './link-keys.ts';
import { deriveVerificationCode, type Verification } from './verification-code.ts';

/**
 * The other people's certificate fingerprints this browser has marked as
 * verified (trust on first use). The code itself depends on the room, so the
 * fingerprint is what is remembered: the same person, with the same browser,
 * is recognised in any later room. The web app keeps it in the browser's storage.
 */
export interface TrustedKeys {
  has(remoteKey: string): boolean;
  add(remoteKey: string): void;
}

export interface MeshVerificationOptions {
  roomId: () => string;
  /** Where marks are kept; without one nothing is remembered and nobody shows as verified before. */
  trusted: TrustedKeys | undefined;
  /** A person's verification changed: a new code, or none (their mesh link is gone). */
  show: (peerId: string, verification: Verification | undefined) => void;
}

/**
 * Turns the DTLS keys of each mesh link into that person's verification
 * code, and remembers whose key was marked as verified. A code is derived
 * asynchronously; one overtaken by newer keys for the same person is dropped.
 */
export class MeshVerification {
  private readonly remoteKeys = new Map<string, string>();
  /** Per person, which key update is the latest, so a slower derivation for older keys never lands last. */
  private readonly updates = new Map<string, number>();

  constructor(private readonly options: MeshVerificationOptions) {}

  async update(peerId: string, keys: LinkKeys | undefined): Promise<void> {
    const update = (this.updates.get(peerId) ?? 0) + 1;
    this.updates.set(peerId, update);
    if (!keys) {
      this.remoteKeys.delete(peerId);
      return this.options.show(peerId, undefined);
    }
    const code = await deriveVerificationCode(keys.local, keys.remote, this.options.roomId());
    if (this.updates.get(peerId) !== update) return;
    this.remoteKeys.set(peerId, keys.remote);
    this.options.show(peerId, { code, basis: 'dtls', verifiedBefore: this.options.trusted?.has(keys.remote) ?? false });
  }

  /** Remembers the key now protecting the link to `peerId` as verified; false when there is none to remember yet. */
  markVerified(peerId: string): boolean {
    const key = this.remoteKeys.get(peerId);
    if (!key || !this.options.trusted) return false;
    this.options.trusted.add(key);
    return true;
  }

  forget(peerId: string): void {
    this.remoteKeys.delete(peerId);
    this.updates.delete(peerId);
  }
}
