import type { Call, ChatSendError } from '@videoapp/client';
import { MAX_CHAT_CHARS } from '@videoapp/protocol';
import { h } from '../dom.ts';
import type { RoomPanel } from './room-panels.ts';

/** Messages kept on screen; older ones are dropped so a long call does not grow the page without end. */
export const CHAT_HISTORY_LIMIT = 500;

const SEND_PROBLEMS: Record<ChatSendError, string> = {
  'bad-message': 'Type a message first.',
  'message-too-large': `Messages are limited to ${MAX_CHAT_CHARS} characters.`,
  'peer-not-found': 'Nobody can receive messages yet: wait until the call is connected.',
};

/**
 * Text chat during the call: peer to peer over the data channels in a mesh,
 * relayed by the server when the media goes through the SFU.
 * Every message is put on screen as a text node, never parsed as HTML.
 */
export class ChatPanel implements RoomPanel {
  readonly id = 'chat';
  readonly title = 'Chat';
  private readonly log = h('ol', { class: 'chat-log', 'aria-live': 'polite', 'aria-label': 'Messages' });
  private readonly input = h('input', { class: 'chat-input', name: 'message', autocomplete: 'off', maxlength: MAX_CHAT_CHARS, 'aria-label': 'Message', placeholder: 'Message' });
  private readonly sendButton = h('button', { type: 'submit', class: 'primary' }, 'Send');
  private readonly problem = h('p', { class: 'chat-problem', role: 'alert' });
  readonly body: HTMLElement;
  readonly focusTarget = this.input;
  private visible = false;
  unread = 0;

  constructor(
    private readonly call: Call,
    private readonly onUnread: (count: number) => void,
  ) {
    const form = h('form', { class: 'chat-form' }, this.input, this.sendButton);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    this.body = h('div', { class: 'panel-body chat' }, this.log, this.problem, form);
    call.on('chat', ({ name, message }) => this.add(name || 'Them', message.text, message.sentAt, false));
    call.on('chat-ready', () => this.renderReady());
    this.renderReady();
  }

  opened(): void {
    this.visible = true;
    this.setUnread(0);
    this.log.lastElementChild?.scrollIntoView({ block: 'end' });
  }

  closed(): void {
    this.visible = false;
  }

  private send(): void {
    const text = this.input.value;
    const result = this.call.sendChat(text);
    if (!result.ok) {
      this.problem.textContent = SEND_PROBLEMS[result.code];
      return;
    }
    this.problem.textContent = '';
    this.input.value = '';
    this.add('You', result.message.text, result.message.sentAt, true);
  }

  private add(from: string, text: string, sentAt: number, mine: boolean): void {
    const time = new Date(sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    // h() puts strings in as text nodes: markup in a message stays characters.
    this.log.append(h('li', { class: mine ? 'mine' : 'theirs' }, h('span', { class: 'chat-meta' }, `${from} · ${time}`), h('p', { class: 'chat-text' }, text)));
    while (this.log.childElementCount > CHAT_HISTORY_LIMIT) this.log.firstElementChild?.remove();
    this.log.lastElementChild?.scrollIntoView({ block: 'end' });
    if (!mine && !this.visible) this.setUnread(this.unread + 1);
  }

  private setUnread(count: number): void {
    this.unread = count;
    this.onUnread(count);
  }

  private renderReady(): void {
    this.sendButton.disabled = !this.call.chatReady;
    if (this.call.chatReady) this.problem.textContent = '';
  }
}
