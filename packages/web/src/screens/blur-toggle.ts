import { type BlurState, type BlurSwitch, describeBlur } from '../blur/blur-switch.ts';
import { h } from '../dom.ts';

/**
 * The lobby's "Blur background" switch with its state in words and, when
 * the device cannot keep up, a button that turns blur off. `camera` gives the
 * track to blur; `onChange` hears every change of the track to show.
 */
export function blurToggle(blur: BlurSwitch, camera: () => MediaStreamTrack | undefined, onChange: () => void): { element: HTMLElement; undo: () => void } {
  // A switch, like the lobby's voice switches.
  const box = h('input', { id: 'blur-background', name: 'blur-background', type: 'checkbox', role: 'switch', checked: blur.isWanted, 'aria-describedby': 'blur-status' });
  const status = h('span', { id: 'blur-status' });
  const turnOff = h('button', { type: 'button', class: 'blur-off', hidden: true }, 'Turn off blur');
  const line = h('p', { class: 'hint blur-status', role: 'status' }, status, ' ', turnOff);
  box.addEventListener('change', () => void blur.choose(box.checked, camera()));
  turnOff.addEventListener('click', () => {
    box.checked = false;
    void blur.choose(false, camera());
  });
  const show = (state: BlurState) => {
    status.textContent = describeBlur(state);
    turnOff.hidden = state.kind !== 'too-slow';
    line.dataset.blur = state.kind;
    // For whoever debugs a failure: what went wrong, in the developer's terms.
    if (state.kind === 'failed') line.dataset.reason = state.reason;
    onChange();
  };
  show(blur.current);
  const undo = blur.on('change', show);
  return { element: h('div', { class: 'blur-toggle' }, h('div', { class: 'check' }, box, h('label', { for: 'blur-background' }, 'Blur background')), line), undo };
}
