import type { FrameTransformApi } from './browser-quirks.ts';
import type { FrameCryptoCommand, TransformOptions } from './frame-crypto-worker.ts';
import type { FrameKind } from './frame-encryption.ts';

/**
 * The page's side of frame encryption: puts the worker's transform on each
 * sender and receiver of the SFU connections and hands it the keys. Mesh
 * links never get one: DTLS already makes their media end to end.
 */
export interface FrameCryptor {
  /** What an SFU connection's configuration needs for the transforms (Chromium's older API is switched on per connection). */
  readonly connectionConfig: Partial<RTCConfiguration>;
  protectSender(sender: RTCRtpSender, kind: FrameKind): void;
  /** `mid`: the m-line the receiver belongs to; its frames must carry the key of whoever that m-line carries (see setOwners). */
  protectReceiver(receiver: RTCRtpReceiver, kind: FrameKind, mid: string): void;
  setOwners(owners: [mid: string, peerId: string][]): void;
  setSendKey(keyId: number, raw: Uint8Array<ArrayBuffer>): void;
  addReceiveKey(peerId: string, keyId: number, raw: Uint8Array<ArrayBuffer>): void;
  forgetKey(keyId: number): void;
  setEncrypting(on: boolean): void;
  close(): void;
}

/** Makes the frame worker (the page knows where its bundle is). */
export type FrameWorkerFactory = () => Worker;

type EncodedStreams = { readable: ReadableStream; writable: WritableStream };
type WithEncodedStreams = { createEncodedStreams?: () => EncodedStreams };
type ScriptTransformConstructor = new (worker: Worker, options: TransformOptions) => unknown;

/** Key and state commands that have no worker to go to yet. */
type KeyCommand = Exclude<FrameCryptoCommand, { type: 'streams' }>;

/**
 * A FrameCryptor over one worker that serves every sender and receiver of the
 * call. The worker starts only when the first sender or receiver needs a
 * transform, that is when the room moves to the SFU: on a mesh call it never
 * loads, and starting it at Join competed with the call's own start (a traced
 * join spent its fetch and parse between the click and the offer). Keys that
 * arrive before then wait in `pending`, which keeps only what the worker
 * would still hold, so a long mesh call does not pile them up.
 */
export class WorkerFrameCryptor implements FrameCryptor {
  private worker: Worker | undefined;
  private pending: KeyCommand[] = [];
  private closed = false;
  /** Each sender or receiver is given a transform once (Chromium's createEncodedStreams throws on a second call). */
  private readonly protectedEnds = new WeakSet<RTCRtpSender | RTCRtpReceiver>();
  readonly connectionConfig: Partial<RTCConfiguration>;

  constructor(
    private readonly api: FrameTransformApi,
    private readonly createWorker: FrameWorkerFactory,
  ) {
    this.connectionConfig = api === 'encoded-streams' ? ({ encodedInsertableStreams: true } as Partial<RTCConfiguration>) : {};
  }

  /** Whether the worker has been started (for tests and diagnostics). */
  get started(): boolean {
    return this.worker !== undefined;
  }

  protectSender(sender: RTCRtpSender, kind: FrameKind): void {
    this.protect(sender, { role: 'send', kind });
  }

  protectReceiver(receiver: RTCRtpReceiver, kind: FrameKind, mid: string): void {
    this.protect(receiver, { role: 'receive', kind, mid });
  }

  setOwners(owners: [mid: string, peerId: string][]): void {
    this.post({ type: 'owners', owners });
  }

  setSendKey(keyId: number, raw: Uint8Array<ArrayBuffer>): void {
    this.post({ type: 'send-key', keyId, raw });
  }

  addReceiveKey(peerId: string, keyId: number, raw: Uint8Array<ArrayBuffer>): void {
    this.post({ type: 'receive-key', peerId, keyId, raw });
  }

  forgetKey(keyId: number): void {
    this.post({ type: 'forget-key', keyId });
  }

  setEncrypting(on: boolean): void {
    this.post({ type: 'encrypting', on });
  }

  close(): void {
    this.closed = true;
    this.pending = [];
    this.worker?.terminate();
  }

  private protect(end: RTCRtpSender | RTCRtpReceiver, options: TransformOptions): void {
    if (this.protectedEnds.has(end) || this.closed) return;
    this.protectedEnds.add(end);
    const worker = this.startedWorker();
    if (this.api === 'script-transform') {
      const ScriptTransform = (globalThis as unknown as { RTCRtpScriptTransform: ScriptTransformConstructor }).RTCRtpScriptTransform;
      (end as { transform?: unknown }).transform = new ScriptTransform(worker, options);
      return;
    }
    const streams = (end as WithEncodedStreams).createEncodedStreams?.();
    if (!streams) return;
    worker.postMessage({ type: 'streams', ...streams, options } satisfies FrameCryptoCommand, [streams.readable as unknown as Transferable, streams.writable as unknown as Transferable]);
  }

  /** The worker, started now if need be and handed every key that waited for it, in order. */
  private startedWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    this.worker = worker;
    for (const command of this.pending) worker.postMessage(command);
    this.pending = [];
    return worker;
  }

  private post(command: KeyCommand): void {
    if (this.closed) return;
    if (this.worker) return this.worker.postMessage(command);
    this.pending = withPending(this.pending, command);
  }
}

/**
 * `pending` with `command` added, keeping only what would change the worker's
 * state: the last send key, state and owner list, and the receive keys not
 * since forgotten (forgetting touches only receive keys, see frame-crypto-worker.ts).
 */
export function withPending(pending: KeyCommand[], command: KeyCommand): KeyCommand[] {
  const replaced = (c: KeyCommand) => {
    switch (command.type) {
      case 'send-key':
      case 'owners':
      case 'encrypting':
        return c.type === command.type;
      case 'receive-key':
      case 'forget-key':
        return c.type === 'receive-key' && c.keyId === command.keyId;
    }
  };
  const kept = pending.filter((c) => !replaced(c));
  return command.type === 'forget-key' ? kept : [...kept, command];
}
