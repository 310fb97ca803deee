/** How far one arrow-key press moves the picture-in-picture, in CSS pixels. */
export const SELF_VIEW_KEY_STEP_PX = 24;
/** Gap kept between the picture-in-picture and the edge of the stage. */
export const SELF_VIEW_MARGIN_PX = 8;
/** The widest the self-view is drawn, in CSS pixels (styles.css: `.stage .local`). */
export const SELF_VIEW_MAX_CSS_WIDTH = 360;

/**
 * Makes our own small video movable within the stage: dragged with a finger,
 * pen or mouse (pointer events), or moved with the arrow keys when focused.
 * It never leaves the stage, also when the stage shrinks (rotation, resize).
 * Returns what removes the listeners.
 */
export function makeMovable(view: HTMLElement, stage: HTMLElement): () => void {
  let drag: { pointerId: number; dx: number; dy: number } | undefined;

  const place = (left: number, top: number) => {
    const area = stage.getBoundingClientRect();
    const maxLeft = Math.max(SELF_VIEW_MARGIN_PX, area.width - view.offsetWidth - SELF_VIEW_MARGIN_PX);
    const maxTop = Math.max(SELF_VIEW_MARGIN_PX, area.height - view.offsetHeight - SELF_VIEW_MARGIN_PX);
    view.style.left = `${Math.min(Math.max(left, SELF_VIEW_MARGIN_PX), maxLeft)}px`;
    view.style.top = `${Math.min(Math.max(top, SELF_VIEW_MARGIN_PX), maxTop)}px`;
    // Placed by left/top from now on, rather than the stylesheet's bottom-right corner.
    view.style.right = view.style.bottom = 'auto';
  };
  const current = () => {
    const area = stage.getBoundingClientRect();
    const box = view.getBoundingClientRect();
    return { left: box.left - area.left, top: box.top - area.top };
  };

  const onDown = (event: PointerEvent) => {
    if (event.button !== 0) return;
    const { left, top } = current();
    const area = stage.getBoundingClientRect();
    drag = { pointerId: event.pointerId, dx: event.clientX - area.left - left, dy: event.clientY - area.top - top };
    view.setPointerCapture(event.pointerId);
    view.classList.add('dragging');
    event.preventDefault();
  };
  const onMove = (event: PointerEvent) => {
    if (drag?.pointerId !== event.pointerId) return;
    const area = stage.getBoundingClientRect();
    place(event.clientX - area.left - drag.dx, event.clientY - area.top - drag.dy);
  };
  const onUp = (event: PointerEvent) => {
    if (drag?.pointerId !== event.pointerId) return;
    drag = undefined;
    view.classList.remove('dragging');
  };
  const onKey = (event: KeyboardEvent) => {
    const step: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = step[event.key];
    if (!move) return;
    event.preventDefault();
    const { left, top } = current();
    place(left + move[0] * SELF_VIEW_KEY_STEP_PX, top + move[1] * SELF_VIEW_KEY_STEP_PX);
  };
  // Only once it has been moved does it need keeping in bounds; until then the stylesheet anchors it.
  const onResize = () => view.style.left && place(current().left, current().top);

  // One signal removes every listener at once when the room ends.
  const listening = new AbortController();
  const { signal } = listening;
  view.addEventListener('pointerdown', onDown, { signal });
  view.addEventListener('pointermove', onMove, { signal });
  view.addEventListener('pointerup', onUp, { signal });
  view.addEventListener('pointercancel', onUp, { signal });
  view.addEventListener('keydown', onKey, { signal });
  window.addEventListener('resize', onResize, { signal });
  return () => listening.abort();
}
