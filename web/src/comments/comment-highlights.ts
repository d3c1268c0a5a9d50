/**
 * Highlights of commented ranges in the editor (docs/spec/comments.md C2): a ProseMirror plugin
 * whose decorations come from the threads' anchors. They are resolved from Yjs when the threads
 * change or a remote change arrives (y-tiptap's mapping is current then), and merely mapped
 * through local edits, so typing costs one DecorationSet.map. Clicking a highlight activates its
 * thread in the panel.
 */

import type { Editor } from '@tiptap/core';
import { Extension } from '@tiptap/core';
import { type EditorState, Plugin, PluginKey } from '@tiptap/pm/state';
import { Decoration, DecorationSet } from '@tiptap/pm/view';
import { ySyncPluginKey } from '@tiptap/y-tiptap';
import type { Anchor } from '../../../src/content/comment-anchors.ts';
import { rangeOfAnchor } from './anchor-range.ts';

export type HighlightedThread = { id: string; anchor: Anchor };
export type HighlightInput = {
  threads: HighlightedThread[];
  activeId: string | null;
  onActivate?: (threadId: string) => void;
};
type HighlightState = HighlightInput & { decorations: DecorationSet };

const key = new PluginKey<HighlightState>('commentHighlights');

function decorate(state: EditorState, input: HighlightInput): DecorationSet {
  const decorations: Decoration[] = [];
  for (const thread of input.threads) {
    const range = rangeOfAnchor(state, thread.anchor);
    if (!range) continue;
    const active = thread.id === input.activeId;
    decorations.push(
      Decoration.inline(
        range.from,
        range.to,
        { class: active ? 'cm-highlight cm-highlight--active' : 'cm-highlight', 'data-thread-id': thread.id },
        { threadId: thread.id },
      ),
    );
  }
  return DecorationSet.create(state.doc, decorations);
}

/** Shows these threads' ranges (the panel calls it whenever its list or its active thread changes). */
export function setCommentHighlights(editor: Editor, input: HighlightInput): void {
  if (editor.isDestroyed) return;
  editor.view.dispatch(editor.state.tr.setMeta(key, input).setMeta('addToHistory', false));
}

export const CommentHighlights = Extension.create({
  name: 'commentHighlights',
  addProseMirrorPlugins() {
    return [
      new Plugin<HighlightState>({
        key,
        state: {
          init: () => ({ threads: [], activeId: null, decorations: DecorationSet.empty }),
          apply(tr, value, _old, state) {
            const input = tr.getMeta(key) as HighlightInput | undefined;
            if (input) return { ...input, decorations: decorate(state, input) };
            const remote = (tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined)?.isChangeOrigin;
            if (remote && value.threads.length > 0) return { ...value, decorations: decorate(state, value) };
            if (tr.docChanged) return { ...value, decorations: value.decorations.map(tr.mapping, tr.doc) };
            return value;
          },
        },
        props: {
          decorations: (state) => key.getState(state)?.decorations,
          handleClick(view, pos) {
            const value = key.getState(view.state);
            if (!value?.onActivate) return false;
            const hit = value.decorations.find(pos, pos)[0];
            const threadId = (hit?.spec as { threadId?: string } | undefined)?.threadId;
            if (threadId) value.onActivate(threadId);
            return false;
          },
        },
      }),
    ];
  },
});
