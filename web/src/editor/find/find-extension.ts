/**
 * Find and replace's editor side, in the editor kit's chunk: prosemirror-search (by ProseMirror's
 * own author) keeps the query and draws every match as an inline decoration, so highlights are
 * local to this person and never enter the shared document. Replacing is a normal transaction, so
 * it syncs to collaborators and is undone like typing (find-bar.tsx makes replace-all one step).
 */
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import { search } from 'prosemirror-search';

/**
 * The toolbar (and the find bar) stick over the top of the text: a match or the cursor scrolled
 * "into view" right under them would be hidden, so ProseMirror keeps this much room above it.
 */
const STICKY_BARS_PX = 150;

export const FindAndReplace = Extension.create({
  name: 'findAndReplace',
  addProseMirrorPlugins() {
    return [
      search(),
      new Plugin({
        key: new PluginKey('collabDocsScrollMargin'),
        props: { scrollMargin: { top: STICKY_BARS_PX, bottom: 40, left: 5, right: 5 } },
      }),
    ];
  },
});
