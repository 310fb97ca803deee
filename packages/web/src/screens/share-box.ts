import { h } from '../dom.ts';
import { qrImage } from '../qr-image.ts';
import { roomLink } from '../routes.ts';

/** The room's link, code and QR code, with copy and (where the browser has it) share buttons: what a person sends the other. */
export function shareBox(roomId: string): HTMLElement {
  const link = roomLink(roomId);
  const said = h('span', { class: 'copied', role: 'status' });
  const copy = h('button', { type: 'button', class: 'copy-link', 'aria-label': 'Copy link to this call' }, 'Copy link');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(link);
      said.textContent = 'Link copied';
    } catch {
      said.textContent = 'Select the link above and copy it';
    }
  });
  const shareData: ShareData = { title: 'VideoApp call', text: 'Join my video call', url: link };
  // Phones offer their own share sheet (messages, mail, nearby devices); desktops mostly do not, and then the button is left out.
  const share =
    typeof navigator.share === 'function' && (navigator.canShare?.(shareData) ?? true) ? h('button', { type: 'button', class: 'share-link', 'aria-label': 'Share the call link' }, 'Share…') : null;
  share?.addEventListener('click', async () => {
    try {
      await navigator.share(shareData);
    } catch (err) {
      if ((err as DOMException).name !== 'AbortError') said.textContent = 'Sharing failed: copy the link instead';
    }
  });
  return h(
    'div',
    { class: 'share' },
    qrImage(link, 'QR code of the call link: scan it with a phone camera to join'),
    h(
      'div',
      { class: 'share-text' },
      h('p', { class: 'share-label' }, 'Invite with this link, code or QR code'),
      h('input', { class: 'room-link', readonly: true, value: link, 'aria-label': 'Call link', onfocus: (e: Event) => (e.target as HTMLInputElement).select() }),
      h('p', { class: 'room-code' }, 'Code: ', h('strong', { 'data-room-code': roomId }, roomId)),
      h('div', { class: 'row' }, copy, share, said),
    ),
  );
}
