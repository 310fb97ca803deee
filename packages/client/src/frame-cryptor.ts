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

/** A FrameCryptor over one worker that serves every sender and receiver of the call. */
export class WorkerFrameCryptor implements FrameCryptor {
  private readonly worker: Worker;
  /** Each sender or receiver is given a transform once (Chromium's createEncodedStreams throws on a second call). */
  private readonly protectedEnds = new WeakSet<RTCRtpSender | RTCRtpReceiver>();
  readonly connectionConfig: Partial<RTCConfiguration>;

  constructor(
    private readonly api: FrameTransformApi,
    createWorker: FrameWorkerFactory,
  ) {
    this.worker = createWorker();
    this.connectionConfig = api === 'encoded-streams' ? ({ encodedInsertableStreams: true } as Partial<RTCConfiguration>) : {};
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
    this.worker.terminate();
  }

  private protect(end: RTCRtpSender | RTCRtpReceiver, options: TransformOptions): void {
    if (this.protectedEnds.has(end)) return;
    this.protectedEnds.add(end);
    if (this.api === 'script-transform') {
      const ScriptTransform = (globalThis as unknown as { RTCRtpScriptTransform: ScriptTransformConstructor }).RTCRtpScriptTransform;
      (end as { transform?: unknown }).transform = new ScriptTransform(this.worker, options);
      return;
    }
    const streams = (end as WithEncodedStreams).createEncodedStreams?.();
    if (!streams) return;
    this.worker.postMessage({ type: 'streams', ...streams, options } satisfies FrameCryptoCommand, [streams.readable as unknown as Transferable, streams.writable as unknown as Transferable]);
  }

  private post(command: FrameCryptoCommand): void {
    this.worker.postMessage(command);
  }
}
