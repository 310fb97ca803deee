import { h } from '../dom.ts';
import { roomLink } from '../routes.ts';

/** The room's link and code, with a copy button: what a person sends the other. */
export function shareBox(roomId: string): HTMLElement {
  const link = roomLink(roomId);
  const copied = h('span', { class: 'copied', role: 'status' });
  const copy = h('button', { type: 'button', class: 'copy-link', 'aria-label': 'Copy the call link' }, 'Copy link');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(link);
      copied.textContent = 'Link copied';
    } catch {
      copied.textContent = 'Select the link above and copy it';
    }
  });
  return h(
    'div',
    { class: 'share' },
    h('p', { class: 'share-label' }, 'Invite with this link or code'),
    h('input', { class: 'room-link', readonly: true, value: link, 'aria-label': 'Call link', onfocus: (e: Event) => (e.target as HTMLInputElement).select() }),
    h('p', { class: 'room-code' }, 'Code: ', h('strong', { 'data-room-code': roomId }, roomId)),
    h('div', { class: 'row' }, copy, copied),
  );
}
