/**
 * Comment threads' text ranges as marks, for exports [E10]: each anchor (two Yjs relative
 * positions, [C2]) is resolved in the rebuilt Y.Doc and its text — across paragraphs when the
 * range spans several — is formatted with a `comment--<n>` attribute `{thread: key}`, which the
 * projection (projection.ts) turns into a `comment` mark; the `--<n>` suffix is y-prosemirror's
 * way of letting marks of one type overlap, so overlapping threads keep their own marks. A thread
 * whose text is gone gets no mark (the export prints it "on deleted text"). Writes formatting into
 * the doc it is given: call it only on a throwaway rebuild.
 */
import * as Y from 'yjs';
import { anchorEnds } from './comment-anchors.ts';
import { tiptapFragmentName } from './projection.ts';
import { maxNestingDepth } from './prosemirror-json.ts';

export type CommentAnchorMark = { key: string; start: string; end: string };

/** The attribute name for the n-th anchor: eight characters after `--`, as the projection expects. */
const attributeName = (n: number) => `comment--${n.toString(36).padStart(8, '0')}`;

/** Every Y.XmlText of the fragment in document order (the order the projection reads them in). */
function textsInOrder(fragment: Y.XmlFragment): Y.XmlText[] {
  const texts: Y.XmlText[] = [];
  const walk = (parent: Y.XmlFragment | Y.XmlElement, depth: number) => {
    if (depth > maxNestingDepth) return;
    for (const child of parent.toArray()) {
      if (child instanceof Y.XmlText) texts.push(child);
      else if (child instanceof Y.XmlElement) walk(child, depth + 1);
    }
  };
  walk(fragment, 1);
  return texts;
}

/** Marks each live anchor's text; returns the keys that got a mark (the others are on deleted text). */
export function markCommentRanges(doc: Y.Doc, anchors: CommentAnchorMark[]): Set<string> {
  const marked = new Set<string>();
  if (anchors.length === 0) return marked;
  const texts = textsInOrder(doc.getXmlFragment(tiptapFragmentName));
  const order = new Map(texts.map((text, i) => [text, i]));
  // Resolve every anchor before writing: formatting adds items, and positions are read on the original text.
  const ranges = anchors.flatMap((anchor, n) => {
    const ends = anchorEnds(doc, anchor);
    if (!ends || !(ends.start.type instanceof Y.XmlText) || !(ends.end.type instanceof Y.XmlText)) return [];
    const first = order.get(ends.start.type);
    const last = order.get(ends.end.type);
    if (first === undefined || last === undefined) return [];
    if (first > last || (first === last && ends.start.index >= ends.end.index)) return [];
    return [{ key: anchor.key, n, first, last, from: ends.start.index, to: ends.end.index }];
  });
  doc.transact(() => {
    for (const r of ranges) {
      for (let i = r.first; i <= r.last; i++) {
        const text = texts[i]!;
        const from = i === r.first ? r.from : 0;
        const to = i === r.last ? r.to : text.length;
        if (to <= from) continue;
        text.format(from, to - from, { [attributeName(r.n)]: { thread: r.key } });
        marked.add(r.key);
      }
    }
  });
  return marked;
}
