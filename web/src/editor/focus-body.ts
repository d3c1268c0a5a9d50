/**
 * Enter in the title: the text takes the focus within that same keydown. TipTap's focus command
 * moves the DOM focus only on the next animation frame, and a fast typist's next keys arrived
 * before it and landed in the title (ED3.1); ProseMirror's own focus is synchronous.
 */
import type { Editor } from '@tiptap/core';

export function focusBodyStart(editor: Editor): void {
  if (editor.isDestroyed) return;
  // The cursor to the start of the text (the command's own delayed focus is then a no-op).
  editor.commands.focus('start', { scrollIntoView: false });
  editor.view.focus();
}
