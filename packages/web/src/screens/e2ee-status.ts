import type { E2eeProtection } from '@videoapp/client';
import { h } from '../dom.ts';

/**
 * A line in the room that says whether a group call through the server is
 * end-to-end encrypted, and when it is not, whose browser is the reason and
 * what to do. Hidden on peer-to-peer calls, whose media is always encrypted
 * end to end.
 */
export class E2eeStatusLine {
  readonly element = h('p', { class: 'e2ee-status', role: 'status', 'data-e2ee': 'peer-to-peer', hidden: true });

  show(protection: E2eeProtection): void {
    this.element.dataset.e2ee = protection.kind;
    this.element.hidden = protection.kind === 'peer-to-peer';
    this.element.textContent = describe(protection);
  }
}

function describe(protection: E2eeProtection): string {
  switch (protection.kind) {
    case 'peer-to-peer':
      return 'End-to-end encrypted.';
    case 'encrypted':
      return 'End-to-end encrypted: the server forwards this group call without being able to see or hear it.';
    case 'unencrypted':
      return protection.selfUnable
        ? 'Not end-to-end encrypted: this browser cannot encrypt group calls, so the server could see and hear this one. A current Chrome, Edge, Firefox or Safari can.'
        : `Not end-to-end encrypted: ${listNames(protection.unable)} cannot encrypt group calls, so the server could see and hear this one. If that matters, ask them to switch to a current browser.`;
  }
}

function listNames(names: string[]): string {
  const browsers = names.map((name) => `${name}'s browser`);
  return browsers.length <= 1 ? (browsers[0] ?? 'Someone’s browser') : `${browsers.slice(0, -1).join(', ')} and ${browsers.at(-1)}`;
}
