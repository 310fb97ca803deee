import { assertNever, type ErrorCode, MAX_CHAT_CHARS, MAX_PEER_MESSAGE_CHARS, PeerMessage, parse } from '@videoapp/protocol';
import { Emitter } from './emitter.ts';

/**
 * The data channel's fixed id. Both ends create it themselves (negotiated), so
 * it is part of the first offer and neither side waits for the other to open it.
 */
export const PEER_CHANNEL_ID = 0;

export interface ChatMessage {
  text: string;
  /** The sender's clock, ms since the epoch: for display only. */
  sentAt: number;
}

/** Why a message was not sent: `bad-message` (empty), `message-too-large` (over MAX_CHAT_CHARS), `peer-not-found` (the channel is not open). */
export type ChatSendError = Extract<ErrorCode, 'bad-message' | 'message-too-large' | 'peer-not-found'>;
export type ChatSendResult = { ok: true; message: ChatMessage } | { ok: false; code: ChatSendError };

interface PeerChannelEvents extends Record<string, unknown> {
  message: ChatMessage;
  open: boolean;
  /** The other side cannot decode the video we send it (decode-watch.ts). */
  'key-frame-request': undefined;
}

/** Checks a message before sending, so nothing the other side would refuse goes out. */
export function checkChatText(text: string): ChatSendError | undefined {
  if (text.trim() === '') return 'bad-message';
  if (text.length > MAX_CHAT_CHARS) return 'message-too-large';
  return undefined;
}

/**
 * What two peers say to each other directly over an RTCDataChannel, so the
 * server never sees it: text chat, and a request for a key frame. Incoming
 * messages are validated like any network input and anything malformed is
 * dropped.
 */
export class PeerChannel extends Emitter<PeerChannelEvents> {
  private channel: RTCDataChannel | undefined;
  /** Malformed messages dropped (diagnostics and tests). */
  dropped = 0;

  get isOpen(): boolean {
    return this.channel?.readyState === 'open';
  }

  /** Creates the negotiated channel on `pc`; call once, before or while the first offer is handled. */
  open(pc: RTCPeerConnection): void {
    if (this.channel) return;
    const channel = pc.createDataChannel('chat', { negotiated: true, id: PEER_CHANNEL_ID, ordered: true });
    this.channel = channel;
    channel.onopen = () => this.emit('open', true);
    channel.onclose = () => this.emit('open', false);
    channel.onmessage = ({ data }) => this.receive(data);
  }

  send(text: string): ChatSendResult {
    const problem = checkChatText(text);
    if (problem) return { ok: false, code: problem };
    if (this.channel?.readyState !== 'open') return { ok: false, code: 'peer-not-found' };
    const message: ChatMessage = { text, sentAt: Date.now() };
    const wire: PeerMessage = { type: 'chat', ...message };
    this.channel.send(JSON.stringify(wire));
    return { ok: true, message };
  }

  /**
   * Asks the other side for a key frame; nothing happens while the channel is
   * not open. The channel is ordered and reliable, so a request made while
   * the path is down arrives late, behind any chat; the other side's limit of
   * one key frame a second (KEY_FRAME_REQUEST_EVERY_MS) keeps that harmless.
   */
  requestKeyFrame(): void {
    if (this.channel?.readyState !== 'open') return;
    const wire: PeerMessage = { type: 'key-frame-request' };
    this.channel.send(JSON.stringify(wire));
  }

  close(): void {
    if (this.channel) this.channel.onopen = this.channel.onclose = this.channel.onmessage = null;
    this.channel?.close();
    this.channel = undefined;
    this.removeAllListeners();
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string' || data.length > MAX_PEER_MESSAGE_CHARS) return void this.dropped++;
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return void this.dropped++;
    }
    const result = parse(PeerMessage, value);
    if (!result.ok) return void this.dropped++;
    switch (result.value.type) {
      case 'chat':
        return this.emit('message', { text: result.value.text, sentAt: result.value.sentAt });
      case 'key-frame-request':
        return this.emit('key-frame-request', undefined);
      default:
        return assertNever(result.value);
    }
  }
}
