/**
 * Keeps remote carets' name labels inside the editor's box. A label hangs to the right of its caret;
 * near the right edge (a phone is 375 px wide) it would be cut off, so it flips to the caret's left,
 * or, when it fits on neither side, is pulled in just far enough to stay whole.
 */

export type LabelPlacement = { side: 'right' | 'left'; shiftPx: number };

const FLIPPED = 'collaboration-carets__label--left';

/**
 * Where a label of `width` goes for a caret at `caretX`, inside [boxLeft, boxRight] (all in px, the
 * same coordinates). `shiftPx` moves the label towards the box when neither side has room.
 */
export function placeLabel(caretX: number, width: number, boxLeft: number, boxRight: number): LabelPlacement {
  if (caretX + width <= boxRight) return { side: 'right', shiftPx: 0 };
  if (caretX - width >= boxLeft) return { side: 'left', shiftPx: 0 };
  // Too wide for either side: start it at the box's left edge (names are cut at 40 characters).
  return { side: 'left', shiftPx: Math.min(boxLeft - (caretX - width), Math.max(0, boxRight - caretX)) };
}

/** Places every caret label inside `root` (the editor's element): all reads first, then the writes. */
export function placeCaretLabels(root: HTMLElement): void {
  const labels = [...root.querySelectorAll<HTMLElement>('.collaboration-carets__label')];
  if (labels.length === 0) return;
  const box = root.getBoundingClientRect();
  const placements = labels.map((label) => {
    const caret = label.parentElement;
    if (!caret) return undefined;
    return placeLabel(caret.getBoundingClientRect().left, label.offsetWidth, box.left, box.right);
  });
  labels.forEach((label, i) => {
    const placement = placements[i];
    if (!placement) return;
    label.classList.toggle(FLIPPED, placement.side === 'left');
    // The CSSOM, not a style attribute (the CSP forbids those).
    label.style.transform = placement.shiftPx === 0 ? '' : `translateX(${placement.shiftPx}px)`;
  });
}
