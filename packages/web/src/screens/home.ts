import { MAX_PASSCODE_CHARS, MIN_PASSCODE_CHARS, normalizeRoomId } from '@videoapp/protocol';
import { createRoom } from '../api.ts';
import { type Screen, saveHostKey } from '../app-context.ts';
import { h } from '../dom.ts';
import { describeProblem } from '../problems.ts';

/** Start a new call, or join one by its code or link. */
export const showHome: Screen = (root, ctx) => {
  const status = h('p', { class: 'status', role: 'status' });
  const newCall = h('button', { class: 'primary big', type: 'button' }, 'New call');
  const passcodeInput = h('input', {
    id: 'new-passcode',
    name: 'passcode',
    type: 'password',
    autocomplete: 'new-password',
    minlength: MIN_PASSCODE_CHARS,
    maxlength: MAX_PASSCODE_CHARS,
    'aria-describedby': 'passcode-hint',
  });
  const codeInput = h('input', {
    id: 'join-code',
    name: 'code',
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    placeholder: 'abcd-efgh-jkmn-pqrs or a link',
    'aria-describedby': 'join-hint',
  });

  newCall.addEventListener('click', async () => {
    newCall.disabled = true;
    status.textContent = 'Creating a room…';
    const passcode = passcodeInput.value;
    if (passcode !== '' && passcode.length < MIN_PASSCODE_CHARS) {
      newCall.disabled = false;
      status.textContent = `A passcode needs at least ${MIN_PASSCODE_CHARS} characters, or leave it empty.`;
      return passcodeInput.focus();
    }
    const result = await createRoom(passcode || undefined);
    newCall.disabled = false;
    if (result.ok) {
      saveHostKey(result.value.roomId, result.value.hostKey);
      return ctx.navigate({ screen: 'lobby', roomId: result.value.roomId });
    }
    const problem = describeProblem(result.code);
    status.textContent = `${problem.title}. ${problem.advice}`;
  });

  const joinForm = h(
    'form',
    { class: 'join-form' },
    h('label', { for: 'join-code' }, 'Join with a code or link'),
    h('div', { class: 'row' }, codeInput, h('button', { type: 'submit' }, 'Join')),
    h('p', { id: 'join-hint', class: 'hint' }, 'The code has 16 letters and digits; dashes and case do not matter.'),
  );
  joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const roomId = normalizeRoomId(codeInput.value);
    if (roomId) return ctx.navigate({ screen: 'lobby', roomId });
    status.textContent = 'That is not a room code. A code looks like k7dq-3mzp-xw9a-fh2e; a link contains /r/ followed by one.';
    codeInput.focus();
  });

  root.append(
    h(
      'section',
      { class: 'screen home' },
      h('h1', { tabindex: -1 }, 'VideoApp'),
      h('p', { class: 'lead' }, 'Video calls straight between two browsers. No account, no install.'),
      newCall,
      h(
        'div',
        { class: 'passcode' },
        h('label', { for: 'new-passcode' }, 'Passcode (optional)'),
        passcodeInput,
        h('p', { id: 'passcode-hint', class: 'hint' }, 'Whoever joins will have to type it. Tell it to them yourself; it is not part of the link.'),
      ),
      joinForm,
      status,
    ),
  );
  return () => {};
};
