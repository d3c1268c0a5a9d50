/**
 * Comment threads in an exported file [E10]: numbers them, puts their markers into the document
 * and builds the "Comments" section the formats without real comments print at the end.
 *
 * The content arrives with a `comment` mark `{thread: id}` on every text node of a thread's range
 * (src/content/comment-ranges.ts). `placeComments` strips those marks and puts zero-width inline
 * atoms in their place: `commentStart` before the range's first node (DOCX only: Word comments
 * cover a range) and `commentRef` (label `[n]`) after its last node — the footnote-style marker.
 * A range inside a code block (plain text in every renderer) gets its atoms in paragraphs of their
 * own around the block. Threads are numbered in the order their text appears; threads whose text
 * was deleted come last, in the order they were made, printed "on deleted text" with their quote.
 */
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';
import type { ExportComment, ExportThread } from '../ports.ts';

export type CommentNote = { number: number; thread: ExportThread; anchored: boolean };
export type PlacedComments = { content: ProseMirrorJson; notes: CommentNote[] };

export const COMMENT_MARK = 'comment';
export const COMMENT_START = 'commentStart';
export const COMMENT_REF = 'commentRef';

function threadsMarked(node: ProseMirrorJson): string[] {
  const keys: string[] = [];
  for (const mark of node.marks ?? []) {
    const thread = mark.type === COMMENT_MARK ? mark.attrs?.thread : undefined;
    if (typeof thread === 'string') keys.push(thread);
  }
  return keys;
}

function withoutCommentMarks(node: ProseMirrorJson): ProseMirrorJson {
  if (!node.marks?.some((mark) => mark.type === COMMENT_MARK)) return node;
  const { marks, ...rest } = node;
  const kept = marks.filter((mark) => mark.type !== COMMENT_MARK);
  return kept.length > 0 ? { ...rest, marks: kept } : rest;
}

export function placeComments(
  content: ProseMirrorJson,
  threads: ExportThread[],
  options: { starts: boolean },
): PlacedComments {
  const known = new Map(threads.filter((t) => t.comments.length > 0).map((t) => [t.id, t]));
  // The node (inline, or a whole code block) each thread's range starts and ends on.
  const first = new Map<string, ProseMirrorJson>();
  const last = new Map<string, ProseMirrorJson>();
  const note = (key: string, node: ProseMirrorJson) => {
    if (!known.has(key)) return;
    if (!first.has(key)) first.set(key, node);
    last.set(key, node);
  };
  const visit = (node: ProseMirrorJson) => {
    if (node.type === 'codeBlock') {
      for (const child of node.content ?? []) for (const key of threadsMarked(child)) note(key, node);
      return;
    }
    for (const key of threadsMarked(node)) note(key, node);
    for (const child of node.content ?? []) visit(child);
  };
  visit(content);

  const notes: CommentNote[] = [];
  for (const key of first.keys()) notes.push({ number: notes.length + 1, thread: known.get(key)!, anchored: true });
  for (const thread of known.values()) {
    if (!first.has(thread.id)) notes.push({ number: notes.length + 1, thread, anchored: false });
  }
  const numberOf = new Map(notes.map((n) => [n.thread.id, n.number]));
  const startsAt = new Map<ProseMirrorJson, number[]>();
  const refsAt = new Map<ProseMirrorJson, number[]>();
  const add = (map: Map<ProseMirrorJson, number[]>, node: ProseMirrorJson, n: number) => {
    const list = map.get(node) ?? [];
    list.push(n);
    map.set(node, list);
  };
  for (const [key, node] of first) if (options.starts) add(startsAt, node, numberOf.get(key)!);
  for (const [key, node] of last) add(refsAt, node, numberOf.get(key)!);

  const rebuild = (node: ProseMirrorJson): ProseMirrorJson => {
    const out = withoutCommentMarks(node);
    if (!node.content) return out;
    const inCode = node.type === 'codeBlock';
    return {
      ...out,
      content: node.content.flatMap((child) => {
        const before = (startsAt.get(child) ?? []).map(commentStart);
        const after = (refsAt.get(child) ?? []).map(commentRef);
        const rebuilt = inCode ? withoutCommentMarks(child) : rebuild(child);
        if (child.type === 'codeBlock') {
          const wrap = (atoms: ProseMirrorJson[]) => (atoms.length > 0 ? [{ type: 'paragraph', content: atoms }] : []);
          return [...wrap(before), rebuilt, ...wrap(after)];
        }
        return [...before, rebuilt, ...after];
      }),
    };
  };
  return { content: rebuild(content), notes };
}

export const commentStart = (n: number): ProseMirrorJson => ({ type: COMMENT_START, attrs: { number: n } });
export const commentRef = (n: number): ProseMirrorJson => ({
  type: COMMENT_REF,
  attrs: { number: n, label: `[${n}]` },
});

/** The number of a `commentStart` / `commentRef` atom (always a positive integer here). */
export function atomNumber(node: ProseMirrorJson): number | undefined {
  const n = node.attrs?.number;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** "2026-12-06 19:44 UTC": the same in every reader's time zone. */
export function commentDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** What a note's first line says besides its number: the quote and where the thread stands. */
export function noteSummary(note: CommentNote): { quote: string; status: string } {
  const quote = note.thread.quote.replace(/\s+/g, ' ').trim();
  const status = [!note.anchored && 'on deleted text', note.thread.resolved && 'resolved'].filter(Boolean).join(', ');
  return { quote: quote ? `“${quote}”` : '', status: status ? `(${status})` : '' };
}

/** A comment's body as inline nodes: its line breaks kept as hard breaks. */
export function bodyInline(body: string): ProseMirrorJson[] {
  return body.split(/\r\n?|\n/).flatMap((line, i): ProseMirrorJson[] => {
    const text: ProseMirrorJson[] = line === '' ? [] : [{ type: 'text', text: line }];
    return i === 0 ? text : [{ type: 'hardBreak' }, ...text];
  });
}

function commentLine(comment: ExportComment): ProseMirrorJson {
  const when = commentDate(comment.createdAt);
  return {
    type: 'paragraph',
    content: [
      { type: 'text', text: comment.author, marks: [{ type: 'bold' }] },
      { type: 'text', text: when ? ` · ${when}: ` : ': ' },
      ...bodyInline(comment.body),
    ],
  };
}

/**
 * The "Comments" section as document nodes (the PDF prints it after the document): per thread its
 * number, quote and status, then its comments oldest first as a list (the first one and replies).
 */
export function commentsSection(notes: CommentNote[]): ProseMirrorJson[] {
  if (notes.length === 0) return [];
  const out: ProseMirrorJson[] = [
    { type: 'horizontalRule' },
    { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Comments' }] },
  ];
  for (const note of notes) {
    const { quote, status } = noteSummary(note);
    const head: ProseMirrorJson[] = [{ type: 'text', text: `[${note.number}]`, marks: [{ type: 'bold' }] }];
    if (quote) head.push({ type: 'text', text: ` ${quote}`, marks: [{ type: 'italic' }] });
    if (status) head.push({ type: 'text', text: ` ${status}` });
    out.push({ type: 'paragraph', content: head });
    out.push({
      type: 'bulletList',
      content: note.thread.comments.map((c) => ({ type: 'listItem', content: [commentLine(c)] })),
    });
  }
  return out;
}
