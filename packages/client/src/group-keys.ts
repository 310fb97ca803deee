import type { ClientMessage } from '@videoapp/protocol';
import { Emitter } from './emitter.ts';
import type { FrameCryptor } from './frame-cryptor.ts';
import { type CallKeyPair, deriveWrappingKey, generateCallKeyPair, newKeyId, newMediaKey, unwrapMediaKey, wrapMediaKey } from './key-agreement.ts';
import { deriveVerificationCode } from './verification-code.ts';

/**
 * How long a new media key (made when someone left) is sent around before we
 * encrypt with it, so the others hold it when the first frames under it
 * arrive. The person who left could still decrypt our media this long, if the
 * SFU still forwarded it to them; it stops doing so when they leave.
 */
export const KEY_SWITCH_DELAY_MS = 1_000;
/** How long a receiver keeps a sender's previous key after a newer one arrived, for frames in flight. */
export const PREVIOUS_KEY_KEPT_MS = 5_000;

/**
 * Whether media through the SFU is end-to-end encrypted. `encrypted`: we and
 * everyone who has said what their browser can do encrypt (people who have
 * not said yet get no key and see nothing). `unencrypted`: someone's browser
 * cannot (`unable`, peer ids; `selfUnable`, our own), and the room falls back
 * to plain media, so everyone still sees everyone.
 */
export type E2eeStatus = { kind: 'encrypted' } | { kind: 'unencrypted'; selfUnable: boolean; unable: string[] };

interface GroupKeysEvents extends Record<string, unknown> {
  status: E2eeStatus;
  /** The verification code with one person changed (undefined: none, e.g. they left or cannot encrypt). */
  code: { peerId: string; code: string | undefined };
  send: ClientMessage;
}

/** What we know about one other person's end-to-end keys. */
interface PeerKeys {
  /** Whether their browser encrypts: unknown until their `e2ee-key` arrives. */
  able: boolean | undefined;
  publicKey: string | undefined;
  wrapping: CryptoKey | undefined;
  /** Their media key ids we hold, newest last. */
  keyIds: number[];
  code: string | undefined;
}

interface MediaKey {
  keyId: number;
  raw: Uint8Array<ArrayBuffer>;
}

/**
 * The end-to-end keys of one call: our ECDH key pair and media key, the
 * others' public keys and media keys, rotation when someone leaves, and the
 * per-person verification codes those keys give. It runs from the moment we
 * join, whichever way media travels, so the keys are in place when the room
 * moves to the SFU. The frames themselves are the FrameCryptor's business.
 * Every step runs in order on one chain: a media key from someone is only
 * unwrapped after their public key was taken in.
 */
export class GroupKeys extends Emitter<GroupKeysEvents> {
  private own: CallKeyPair | undefined;
  private selfId = '';
  private roomId = '';
  private readonly peers = new Map<string, PeerKeys>();
  /** Who has our public key: those in the room when we announced it, and those we answered since. */
  private readonly keySentTo = new Set<string>();
  private current: MediaKey | undefined;
  /** A key sent around but not used yet (see KEY_SWITCH_DELAY_MS). */
  private next: MediaKey | undefined;
  private switchTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private chain: Promise<void> = Promise.resolve();
  /** Bumped by every start and by close: work queued for an earlier one is dropped. */
  private generation = 0;
  private lastStatus = '';

  constructor(private readonly cryptor: FrameCryptor | undefined) {
    super();
  }

  /** Whether this browser can encrypt media frames at all. */
  get able(): boolean {
    return this.cryptor !== undefined;
  }

  get started(): boolean {
    return this.selfId !== '';
  }

  /** Joined `roomId` as `selfId` with `peerIds` present: a fresh key pair and media key, announced to all. */
  start(selfId: string, roomId: string, peerIds: string[]): void {
    const generation = ++this.generation;
    this.clearTimers();
    this.selfId = selfId;
    this.roomId = roomId;
    this.peers.clear();
    this.keySentTo.clear();
    for (const id of peerIds) this.keySentTo.add(id);
    this.current = this.next = undefined;
    this.run(generation, async () => {
      if (this.cryptor) {
        this.own = await generateCallKeyPair();
        const first: MediaKey = { keyId: newKeyId(), raw: newMediaKey() };
        this.current = first;
        this.cryptor.setSendKey(first.keyId, first.raw);
      }
      this.emit('send', { type: 'e2ee-key', ...(this.own ? { publicKey: this.own.publicKey } : {}) });
      this.publishStatus();
    });
  }

  /** Someone's public key (none: they cannot encrypt). */
  onPublicKey(from: string, publicKey: string | undefined): void {
    const generation = this.generation;
    this.run(generation, async () => {
      const peer = this.peerKeys(from);
      const changed = peer.publicKey !== publicKey;
      // A newcomer, or someone whose page reloaded (a new key pair under the same id), has not got ours.
      if (!this.keySentTo.has(from) || (changed && peer.able !== undefined)) {
        this.keySentTo.add(from);
        this.emit('send', { type: 'e2ee-key', to: from, ...(this.own ? { publicKey: this.own.publicKey } : {}) });
      }
      peer.able = publicKey !== undefined;
      if (changed) {
        peer.publicKey = publicKey;
        peer.wrapping = undefined;
        peer.code = undefined;
        if (publicKey !== undefined && this.own) {
          try {
            peer.wrapping = await deriveWrappingKey(this.own, publicKey, this.roomId, this.selfId, from);
            peer.code = await deriveVerificationCode(this.own.publicKey, publicKey, this.roomId);
          } catch (err) {
            console.warn('videoapp: an end-to-end public key that does not work', err);
          }
        }
        this.emit('code', { peerId: from, code: peer.code });
        const latest = this.next ?? this.current;
        if (latest) await this.sendMediaKey(from, peer, latest);
      }
      this.publishStatus();
    });
  }

  /** Someone's media key, wrapped for us. */
  onMediaKey(from: string, keyId: number, wrapped: string): void {
    this.run(this.generation, async () => {
      const peer = this.peers.get(from);
      if (!peer?.wrapping || !this.cryptor) return;
      let raw: Uint8Array<ArrayBuffer>;
      try {
        raw = await unwrapMediaKey(peer.wrapping, wrapped, keyId, from, this.selfId);
      } catch {
        return console.warn('videoapp: a media key that does not unwrap was ignored');
      }
      this.cryptor.addReceiveKey(from, keyId, raw);
      const older = peer.keyIds.filter((id) => id !== keyId);
      peer.keyIds = [...older, keyId];
      if (older.length > 0) this.later(PREVIOUS_KEY_KEPT_MS, () => this.forget(peer, older));
    });
  }

  /** Someone left: their keys go (after frames in flight), and ours is replaced, so they cannot read what we send from now on. */
  peerLeft(peerId: string): void {
    const peer = this.peers.get(peerId);
    this.peers.delete(peerId);
    this.keySentTo.delete(peerId);
    if (peer) {
      this.later(PREVIOUS_KEY_KEPT_MS, () => this.forget(peer, peer.keyIds));
      if (peer.code !== undefined) this.emit('code', { peerId, code: undefined });
    }
    if (this.cryptor && this.started) this.rotate();
    this.publishStatus();
  }

  codeOf(peerId: string): string | undefined {
    return this.peers.get(peerId)?.code;
  }

  get status(): E2eeStatus {
    const unable = [...this.peers].filter(([, p]) => p.able === false).map(([id]) => id);
    if (this.able && unable.length === 0) return { kind: 'encrypted' };
    return { kind: 'unencrypted', selfUnable: !this.able, unable };
  }

  close(): void {
    this.generation++;
    this.clearTimers();
    this.peers.clear();
    this.selfId = '';
    this.removeAllListeners();
  }

  private rotate(): void {
    const next: MediaKey = { keyId: newKeyId(), raw: newMediaKey() };
    this.next = next;
    this.run(this.generation, async () => {
      await Promise.all([...this.peers].map(([id, peer]) => this.sendMediaKey(id, peer, next)));
    });
    clearTimeout(this.switchTimer);
    this.switchTimer = setTimeout(() => {
      if (this.next !== next) return;
      this.current = next;
      this.next = undefined;
      this.cryptor?.setSendKey(next.keyId, next.raw);
    }, KEY_SWITCH_DELAY_MS);
  }

  private async sendMediaKey(peerId: string, peer: PeerKeys, key: MediaKey): Promise<void> {
    if (!peer.wrapping) return;
    const wrapped = await wrapMediaKey(peer.wrapping, key.raw, key.keyId, this.selfId, peerId);
    this.emit('send', { type: 'e2ee-media-key', to: peerId, keyId: key.keyId, wrapped });
  }

  private forget(peer: PeerKeys, keyIds: number[]): void {
    for (const id of keyIds) this.cryptor?.forgetKey(id);
    peer.keyIds = peer.keyIds.filter((id) => !keyIds.includes(id));
  }

  private peerKeys(peerId: string): PeerKeys {
    let peer = this.peers.get(peerId);
    if (!peer) {
      peer = { able: undefined, publicKey: undefined, wrapping: undefined, keyIds: [], code: undefined };
      this.peers.set(peerId, peer);
    }
    return peer;
  }

  private publishStatus(): void {
    const status = this.status;
    this.cryptor?.setEncrypting(status.kind === 'encrypted');
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.emit('status', status);
  }

  private run(generation: number, step: () => Promise<void>): void {
    this.chain = this.chain.then(() => (generation === this.generation ? step() : undefined)).catch((err: unknown) => console.warn('videoapp: end-to-end key step failed', err));
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    clearTimeout(this.switchTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
