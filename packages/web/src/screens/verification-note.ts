import type { Verification } from '@videoapp/client';
import { h, replaceChildren } from '../dom.ts';

/** What to do with the code, in one sentence. */
export const VERIFICATION_ADVICE = 'Read it to each other; if it differs, someone is listening.';

/** Screens on which the 1:1 call's note starts folded (a phone, upright or sideways). */
const SMALL_SCREEN = '(max-width: 32rem), (max-height: 32rem)';

/** Where the note sits: open beside the call's status in a 1:1 call, folded into a tile's details in a group. */
export type VerificationLayout = 'call' | 'tile';

/** Whether this person's key is trusted: from an earlier call, marked just now, or not (yet). */
type Trust = 'verified-before' | 'marked' | 'unverified' | 'not-marked';

let nextId = 0;

/**
 * The verification code for one other person: the code, what to do with it,
 * and "Mark as verified" (remembered in this browser by their key, so a later
 * call with them says "Verified before"). `data-verification-code` carries
 * the code for tests.
 */
export class VerificationNote {
  readonly element: HTMLElement;
  private readonly codeLine: HTMLElement;
  private readonly trustLine = h('div', { class: 'verification-trust' });
  private verification: Verification | undefined;
  /** The code marked as verified in this call (a new code, from new keys, is not). */
  private markedCode: string | undefined;
  private failedCode: string | undefined;

  /** `mark` remembers the current key as verified; false when it could not. */
  constructor(
    layout: VerificationLayout,
    private readonly mark: () => boolean,
  ) {
    const id = `verification-code-${++nextId}`;
    const advice = h('p', { class: 'verification-advice' }, VERIFICATION_ADVICE);
    if (layout === 'call') {
      // Folded to its code line on a small screen, where the open note would cover much of the other person's video.
      this.codeLine = h('summary', { class: 'verification-code', id });
      this.element = h('details', { class: 'verification', role: 'group', 'aria-labelledby': id, hidden: true }, this.codeLine, advice, this.trustLine);
      (this.element as HTMLDetailsElement).open = !matchMedia(SMALL_SCREEN).matches;
    } else {
      this.codeLine = h('summary', { class: 'verification-code', id });
      this.element = h('details', { class: 'verification', hidden: true }, this.codeLine, advice, this.trustLine);
    }
  }

  render(verification: Verification | undefined): void {
    this.verification = verification;
    this.element.hidden = !verification;
    if (!verification) {
      delete this.element.dataset.verificationCode;
      return;
    }
    this.element.dataset.verificationCode = verification.code;
    this.element.dataset.basis = verification.basis;
    replaceChildren(this.codeLine, 'Verification code: ', h('strong', { class: 'code' }, verification.code));
    const trust = this.trust(verification);
    this.element.dataset.trust = trust;
    switch (trust) {
      case 'verified-before':
        return replaceChildren(this.trustLine, h('p', { class: 'verification-status', tabindex: -1 }, 'Verified before: this browser has checked this person’s code in an earlier call.'));
      case 'marked':
        return replaceChildren(this.trustLine, h('p', { class: 'verification-status', tabindex: -1 }, 'Marked as verified. This browser will recognise them in later calls.'));
      case 'not-marked':
        return replaceChildren(
          this.trustLine,
          h('p', { class: 'verification-status', tabindex: -1, role: 'alert' }, 'Could not remember this yet: wait until the call is connected, then try again.'),
          this.markButton(),
        );
      case 'unverified':
        return replaceChildren(this.trustLine, this.markButton());
    }
  }

  private trust(verification: Verification): Trust {
    if (verification.verifiedBefore) return 'verified-before';
    if (this.markedCode === verification.code) return 'marked';
    return this.failedCode === verification.code ? 'not-marked' : 'unverified';
  }

  private markButton(): HTMLButtonElement {
    return h('button', { type: 'button', class: 'verification-mark', onclick: () => this.onMark() }, 'Mark as verified');
  }

  private onMark(): void {
    const code = this.verification?.code;
    if (!code) return;
    if (this.mark()) this.markedCode = code;
    else this.failedCode = code;
    this.render(this.verification);
    this.trustLine.querySelector<HTMLElement>('.verification-status')?.focus();
  }
}
