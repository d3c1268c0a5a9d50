/**
 * Between the editor's positions and comment anchors (docs/spec/comments.md C2): a selection
 * becomes two Yjs relative positions through y-tiptap's binding (its mapping from Yjs types to
 * ProseMirror nodes), and an anchor becomes a range of the current document again, or null when
 * its text was deleted ("on deleted text").
 */
import type { EditorState } from '@tiptap/pm/state';
import {
  absolutePositionToRelativePosition,
  relativePositionToAbsolutePosition,
  ySyncPluginKey,
} from '@tiptap/y-tiptap';
import type * as Y from 'yjs';
import { type Anchor, decodeAnchorPosition, encodeAnchorPosition } from '../../../src/content/comment-anchors.ts';

type Binding = { type: Y.XmlFragment; doc: Y.Doc; mapping: Parameters<typeof relativePositionToAbsolutePosition>[3] };

function bindingOf(state: EditorState): Binding | null {
  const sync = ySyncPluginKey.getState(state) as { binding?: Binding | null } | undefined;
  return sync?.binding ?? null;
}

/** The anchor of [from, to) in the shared document, or null before the editor is bound to it. */
export function anchorOfRange(state: EditorState, from: number, to: number): Anchor | null {
  const binding = bindingOf(state);
  if (!binding || from >= to) return null;
  const start = absolutePositionToRelativePosition(from, binding.type, binding.mapping) as Y.RelativePosition;
  const end = absolutePositionToRelativePosition(to, binding.type, binding.mapping) as Y.RelativePosition;
  return { start: encodeAnchorPosition(start), end: encodeAnchorPosition(end) };
}

/** Where an anchor's text is now, or null when it was deleted (or cannot be found). */
export function rangeOfAnchor(state: EditorState, anchor: Anchor): { from: number; to: number } | null {
  const binding = bindingOf(state);
  if (!binding) return null;
  const start = decodeAnchorPosition(anchor.start);
  const end = decodeAnchorPosition(anchor.end);
  if (!start || !end) return null;
  const doc = binding.doc ?? binding.type.doc;
  if (!doc) return null;
  const from = relativePositionToAbsolutePosition(doc, binding.type, start, binding.mapping);
  const to = relativePositionToAbsolutePosition(doc, binding.type, end, binding.mapping);
  if (from === null || to === null || from >= to) return null;
  const size = state.doc.content.size;
  return { from: Math.max(0, Math.min(from, size)), to: Math.max(0, Math.min(to, size)) };
}
