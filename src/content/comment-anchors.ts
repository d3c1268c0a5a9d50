/**
 * Comment anchors as Yjs relative positions (docs/spec/comments.md [C2]): a thread's range is a
 * start and an end that point at CRDT items rather than offsets, so they follow the text through
 * everyone's edits, and collapse when the text is deleted ("on deleted text"). Encoded as base64
 * of Y.encodeRelativePosition; pure, shared by the server (validation) and the web app.
 */
import { fromBase64, toBase64 } from 'lib0/buffer';
import * as Y from 'yjs';
import { tiptapFragmentName } from './projection.ts';

// biome-ignore lint/suspicious/noExplicitAny: Yjs types are invariant in their event type; any shared type will do.
type YType = Y.AbstractType<any>;

export type Anchor = { start: string; end: string };
export type AnchorState = 'anchored' | 'deleted';

export const encodeAnchorPosition = (rpos: Y.RelativePosition): string => toBase64(Y.encodeRelativePosition(rpos));

/** The relative position in a base64 string, or null when it is not one. */
export function decodeAnchorPosition(value: string): Y.RelativePosition | null {
  try {
    const rpos = Y.decodeRelativePosition(fromBase64(value));
    // A position names an item, a type or a root type's name: one of the three.
    if (rpos.item === null && rpos.type === null && rpos.tname === null) return null;
    return rpos;
  } catch {
    return null;
  }
}

/** An anchor over [from, to) of one Y.XmlText (or any Y type): what an editor's selection becomes. */
export function anchorInType(type: YType, from: number, to: number): Anchor {
  return {
    // The start sticks to the first selected character, the end to the character after the range.
    start: encodeAnchorPosition(Y.createRelativePositionFromTypeIndex(type, from, 0)),
    end: encodeAnchorPosition(Y.createRelativePositionFromTypeIndex(type, to, -1)),
  };
}

type Resolved = { type: YType; index: number; deleted: boolean };

/** The root type a nested type lives in (the document's XmlFragment for editor text). */
function rootOf(type: YType): { root: YType; deleted: boolean } {
  let t = type;
  let deleted = false;
  while (t._item) {
    if (t._item.deleted) deleted = true;
    t = t._item.parent as YType;
  }
  return { root: t, deleted };
}

/** Resolves a position inside the editor's fragment; null when it names nothing in this document. */
function resolve(doc: Y.Doc, rpos: Y.RelativePosition): Resolved | null {
  // `doc.get(tname)` would create a root type of any name: only the editor's fragment is accepted.
  if (rpos.tname !== null && rpos.tname !== tiptapFragmentName) return null;
  let fragment: YType;
  try {
    // Instantiating a root type writes nothing (roots are not in updates); an empty document has none yet.
    fragment = doc.getXmlFragment(tiptapFragmentName);
  } catch {
    return null; // the name holds another kind of type: not an editor document
  }
  let abs: Y.AbsolutePosition | null;
  try {
    abs = Y.createAbsolutePositionFromRelativePosition(rpos, doc);
  } catch {
    return null;
  }
  if (!abs) return null;
  const { root, deleted } = rootOf(abs.type);
  if (root !== fragment) return null;
  return { type: abs.type, index: abs.index, deleted };
}

/**
 * Why an anchor cannot be accepted for a new thread in this document, or null when it can: both
 * positions must decode and point at live text of the editor's fragment, start before end.
 */
export function anchorProblem(doc: Y.Doc, anchor: Anchor): string | null {
  const start = decodeAnchorPosition(anchor.start);
  const end = decodeAnchorPosition(anchor.end);
  if (!start || !end) return 'not a Yjs relative position (base64 of Y.encodeRelativePosition)';
  const a = resolve(doc, start);
  const b = resolve(doc, end);
  if (!a || !b) return 'points outside the document (no such text)';
  if (a.deleted || b.deleted) return 'points at text that was deleted';
  if (a.type === b.type && a.index > b.index) return 'starts after it ends';
  return null;
}

/**
 * Whether the anchored text is still there: 'deleted' once the range collapsed (its text was
 * deleted), its paragraph went, or the items it named were garbage-collected.
 */
export function anchorState(doc: Y.Doc, anchor: Anchor): AnchorState {
  const start = decodeAnchorPosition(anchor.start);
  const end = decodeAnchorPosition(anchor.end);
  const a = start && resolve(doc, start);
  const b = end && resolve(doc, end);
  if (!a || !b || a.deleted || b.deleted) return 'deleted';
  if (a.type === b.type && a.index >= b.index) return 'deleted';
  return 'anchored';
}

/** [from, to) of an anchor whose ends lie in one type (a single paragraph), or null otherwise. */
export function anchorRange(doc: Y.Doc, anchor: Anchor): { type: YType; from: number; to: number } | null {
  const start = decodeAnchorPosition(anchor.start);
  const end = decodeAnchorPosition(anchor.end);
  const a = start && resolve(doc, start);
  const b = end && resolve(doc, end);
  if (!a || !b || a.type !== b.type) return null;
  return { type: a.type, from: a.index, to: b.index };
}

/** Both ends of an anchor whose text is still there (each a type and an index), or null [C2]. */
export function anchorEnds(doc: Y.Doc, anchor: Anchor): { start: Resolved; end: Resolved } | null {
  const start = decodeAnchorPosition(anchor.start);
  const end = decodeAnchorPosition(anchor.end);
  const a = start && resolve(doc, start);
  const b = end && resolve(doc, end);
  if (!a || !b || a.deleted || b.deleted) return null;
  return { start: a, end: b };
}
