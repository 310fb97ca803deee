import { Knock, type KnockState } from '@videoapp/client';
import type { ErrorCode, KnockDenial } from '@videoapp/protocol';
import { saveKnockToken, signalingUrl } from '../app-context.ts';
import { h } from '../dom.ts';

export interface KnockRequest {
  roomId: string;
  name: string;
  passcode?: string;
  /** A knock this tab made before a reload. */
  token?: string;
}

/** How the wait ended, for the lobby to act on. */
export interface KnockOutcomes {
  /** Join now, with the admitted knock's token. */
  admitted(token: string | undefined): void;
  /** Back to the lobby's form: turned away (said why), or we cancelled (nothing to say). */
  back(denial?: KnockDenial): void;
  problem(code: ErrorCode): void;
}

/**
 * The lobby's wait at the door of an "Ask to join" room: knocks, says so in
 * words ("Waiting for the host to let you in…", and the place in line), and
 * offers Cancel. The preview beside it stays; no peer connection is made
 * until the host admits us. The knock's token is kept for this tab, so a
 * reload keeps our place. Returns what stops waiting (keeping the place, as
 * a page exit does).
 */
export function waitAtDoor(box: HTMLElement, request: KnockRequest, outcomes: KnockOutcomes): () => void {
  const knock = new Knock({ signalingUrl: signalingUrl(), WebSocket, ...request });
  const status = h('p', { class: 'knock-status', role: 'status', 'aria-live': 'polite' }, 'Asking the host to let you in…');
  const place = h('p', { class: 'hint' });
  const cancel = h('button', { type: 'button', class: 'big' }, 'Cancel');
  cancel.addEventListener('click', () => knock.cancel());
  box.replaceChildren(h('div', { class: 'knock-wait', 'data-knock-state': 'knocking' }, status, place, cancel));

  knock.on('token', (token) => saveKnockToken(request.roomId, token));
  knock.on('state', (state) => show(state));
  knock.start();

  function show(state: KnockState): void {
    box.querySelector<HTMLElement>('.knock-wait')?.setAttribute('data-knock-state', state.kind);
    switch (state.kind) {
      case 'knocking':
        return;
      case 'waiting':
        status.textContent = 'Waiting for the host to let you in…';
        place.textContent = state.position === 1 ? 'You are next in line.' : `You are number ${state.position} in line.`;
        return;
      case 'admitted':
        saveKnockToken(request.roomId, undefined);
        return outcomes.admitted(state.token);
      case 'denied':
        saveKnockToken(request.roomId, undefined);
        return outcomes.back(state.reason);
      case 'cancelled':
        saveKnockToken(request.roomId, undefined);
        return outcomes.back();
      case 'refused':
        saveKnockToken(request.roomId, undefined);
        // A kept token that the server no longer knows (it timed out): simply start over.
        if (state.code === 'knock-not-found') return outcomes.back();
        return outcomes.problem(state.code);
    }
  }

  return () => knock.close();
}
