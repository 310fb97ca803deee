/**
 * The worker that encrypts every frame we send through the SFU and decrypts
 * every frame we receive from it (frame-encryption.ts has the format). Frames
 * reach it through RTCRtpScriptTransform, or, in Chromium's older API,
 * as the encoded streams the page transfers to it; keys come as messages
 * from FrameCryptor (frame-cryptor.ts) on the page. Bundled on its own
 * (scripts/build.mjs), so only a page in a group call loads it.
 */
import { clearBytesOf, decryptFrame, encryptFrame, type FrameKind, importMediaKey, keyIdOf } from './frame-encryption.ts';

/** Which way a transform works, and for a receiver which m-line it serves (so a frame's key must belong to whoever that m-line carries). */
export type TransformOptions = { role: 'send'; kind: FrameKind } | { role: 'receive'; kind: FrameKind; mid: string };

export type FrameCryptoCommand =
  | { type: 'send-key'; keyId: number; raw: Uint8Array<ArrayBuffer> }
  | { type: 'receive-key'; peerId: string; keyId: number; raw: Uint8Array<ArrayBuffer> }
  | { type: 'forget-key'; keyId: number }
  /** Whose media each receiving m-line carries now. */
  | { type: 'owners'; owners: [mid: string, peerId: string][] }
  /** Whether the room encrypts: when not, frames go out as they are and plain frames are let through. */
  | { type: 'encrypting'; on: boolean }
  | { type: 'streams'; readable: ReadableStream<EncodedFrame>; writable: WritableStream<EncodedFrame>; options: TransformOptions };

interface EncodedFrame {
  data: ArrayBuffer;
  /** Video frames only: 'key', 'delta' (or 'empty'). */
  type?: string;
}

interface ScriptTransformer {
  readable: ReadableStream<EncodedFrame>;
  writable: WritableStream<EncodedFrame>;
  options: TransformOptions;
  generateKeyFrame?: () => Promise<void>;
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<FrameCryptoCommand>) => void) | null;
  onrtctransform: ((event: { transformer: ScriptTransformer }) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
let encrypting = true;
let sendKey: { keyId: number; key: CryptoKey } | undefined;
const receiveKeys = new Map<number, { owner: string; key: CryptoKey }>();
const owners = new Map<string, string>();
/** Our senders' transformers, so a new key can start with a key frame the others can decode at once. */
const senders = new Set<ScriptTransformer>();

scope.onmessage = ({ data: command }) => void handle(command);
scope.onrtctransform = ({ transformer }) => {
  if (transformer.options.role === 'send') senders.add(transformer);
  run(transformer.readable, transformer.writable, transformer.options);
};

async function handle(command: FrameCryptoCommand): Promise<void> {
  switch (command.type) {
    case 'send-key':
      sendKey = { keyId: command.keyId, key: await importMediaKey(command.raw) };
      return askForKeyFrames();
    case 'receive-key':
      receiveKeys.set(command.keyId, { owner: command.peerId, key: await importMediaKey(command.raw) });
      return;
    case 'forget-key':
      receiveKeys.delete(command.keyId);
      return;
    case 'owners':
      owners.clear();
      for (const [mid, peerId] of command.owners) owners.set(mid, peerId);
      return;
    case 'encrypting':
      encrypting = command.on;
      return askForKeyFrames();
    case 'streams':
      return run(command.readable, command.writable, command.options);
  }
}

function run(readable: ReadableStream<EncodedFrame>, writable: WritableStream<EncodedFrame>, options: TransformOptions): void {
  const transform = options.role === 'send' ? encryptOutgoing(options.kind) : decryptIncoming(options.kind, options.mid);
  readable
    .pipeThrough(new TransformStream({ transform }))
    .pipeTo(writable)
    .catch(() => {
      // The connection closed: its streams end with it.
    });
}

function encryptOutgoing(kind: FrameKind) {
  return async (frame: EncodedFrame, controller: TransformStreamDefaultController<EncodedFrame>) => {
    if (!encrypting) return controller.enqueue(frame);
    // Nothing leaves unencrypted in an encrypted room, not even before our key is ready.
    const key = sendKey;
    if (!key) return;
    frame.data = await encryptFrame(frame.data, clearBytesOf(kind, frame.type), key.key, key.keyId);
    controller.enqueue(frame);
  };
}

/**
 * An encrypted room drops whatever does not decrypt with the key of the
 * person the m-line carries. A room that fell back to plain media lets plain
 * frames through, and decrypts those still encrypted (sent before the sender
 * heard of the fallback).
 */
function decryptIncoming(kind: FrameKind, mid: string) {
  return async (frame: EncodedFrame, controller: TransformStreamDefaultController<EncodedFrame>) => {
    const keyId = keyIdOf(frame.data);
    const entry = keyId === undefined ? undefined : receiveKeys.get(keyId);
    const plain = entry && entry.owner === owners.get(mid) ? await decryptFrame(frame.data, clearBytesOf(kind, frame.type), entry.key) : undefined;
    if (plain) {
      frame.data = plain;
      controller.enqueue(frame);
    } else if (!encrypting) controller.enqueue(frame);
  };
}

function askForKeyFrames(): void {
  for (const sender of senders) if (sender.options.kind === 'video') sender.generateKeyFrame?.().catch(() => {});
}
