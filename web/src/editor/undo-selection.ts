/**
 * Where the cursor goes after Undo and Redo: at the end of what changed, as in every word
 * processor. Yjs' undo (y-tiptap) restores the selection from relative positions into the text
 * the undone change replaced; when that change rebuilt a block (a paragraph turned heading, then
 * Enter and typing), the text it pointed into is gone and the cursor fell to the start of the
 * block, or the top of the document, and the next words landed there [issue 13]. This plugin
 * re-places the cursor from the document change itself, which does not depend on that history.
 */
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey, Selection } from '@tiptap/pm/state';
import { ySyncPluginKey } from '@tiptap/y-tiptap';

export const UndoSelection = Extension.create({
  name: 'undoSelection',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: new PluginKey('collabDocsUndoSelection'),
        appendTransaction(transactions, oldState, newState) {
          const undo = transactions.some((tr) => tr.docChanged && tr.getMeta(ySyncPluginKey)?.isUndoRedoOperation);
          if (!undo) return null;
          const start = oldState.doc.content.findDiffStart(newState.doc.content);
          const end = oldState.doc.content.findDiffEnd(newState.doc.content);
          if (start === null || end === null) return null;
          // Overlapping ends (a repeated character) put the end before the start: take the later.
          const at = Math.min(Math.max(start, end.b), newState.doc.content.size);
          const selection = Selection.near(newState.doc.resolve(at), -1);
          if (selection.eq(newState.selection)) return null;
          return newState.tr.setSelection(selection).setMeta('addToHistory', false);
        },
      }),
    ];
  },
});
