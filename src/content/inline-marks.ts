/**
 * Turns a run of inline nodes into a flat stream of open/close/node events with properly nested
 * marks, so adjacent nodes sharing a mark share one element (`**a *b***`, not `**a****b***`).
 * Marks that run longer open first (outermost); code always opens last, since nothing can nest
 * inside a code span.
 */
import type { ProseMirrorJson, ProseMirrorMark } from './prosemirror-json.ts';

export type InlineEvent =
  | { kind: 'open'; mark: ProseMirrorMark }
  | { kind: 'close'; mark: ProseMirrorMark }
  | { kind: 'node'; node: ProseMirrorJson };

/** Tie-break for marks opening on the same node and running equally far: outermost first. */
const markRank = ['link', 'italic', 'bold', 'strike', 'underline', 'highlight', 'code'];

function rank(mark: ProseMirrorMark): number {
  const index = markRank.indexOf(mark.type);
  return index === -1 ? markRank.length - 1 : index;
}

export function markKey(mark: ProseMirrorMark): string {
  return `${mark.type}\u0000${JSON.stringify(mark.attrs ?? {})}`;
}

/**
 * @param keep which marks the renderer supports; others are ignored as if absent
 */
export function sequenceInline(nodes: ProseMirrorJson[], keep: (mark: ProseMirrorMark) => boolean): InlineEvent[] {
  const marksPerNode = nodes.map((node) => uniqueMarks((node.marks ?? []).filter(keep)));
  // How many consecutive nodes, starting at each node, carry each of its marks.
  const extents: Map<string, number>[] = new Array(nodes.length);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const here = new Map<string, number>();
    for (const mark of marksPerNode[i]!) {
      const key = markKey(mark);
      here.set(key, 1 + (extents[i + 1]?.get(key) ?? 0));
    }
    extents[i] = here;
  }

  const events: InlineEvent[] = [];
  const open: ProseMirrorMark[] = [];
  const close = (down: number) => {
    while (open.length > down) events.push({ kind: 'close', mark: open.pop()! });
  };
  nodes.forEach((node, i) => {
    const wanted = new Set(marksPerNode[i]!.map(markKey));
    let kept = 0;
    while (kept < open.length && wanted.has(markKey(open[kept]!))) kept++;
    const openKeys = new Set(open.slice(0, kept).map(markKey));
    const toOpen = marksPerNode[i]!.filter((mark) => !openKeys.has(markKey(mark)));
    const codeAt = open.findIndex((mark) => mark.type === 'code');
    if (toOpen.length > 0 && codeAt !== -1 && codeAt < kept) {
      kept = codeAt;
      toOpen.push(open[codeAt]!);
    }
    close(kept);
    toOpen.sort((a, b) => {
      if ((a.type === 'code') !== (b.type === 'code')) return a.type === 'code' ? 1 : -1;
      const further = extents[i]!.get(markKey(b))! - extents[i]!.get(markKey(a))!;
      return further !== 0 ? further : rank(a) - rank(b);
    });
    for (const mark of toOpen) {
      events.push({ kind: 'open', mark });
      open.push(mark);
    }
    events.push({ kind: 'node', node });
  });
  close(0);
  return events;
}

function uniqueMarks(marks: ProseMirrorMark[]): ProseMirrorMark[] {
  const seen = new Set<string>();
  return marks.filter((mark) => {
    const key = markKey(mark);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
