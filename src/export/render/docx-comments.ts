/**
 * Word comments for the DOCX export [E10]: every comment of a thread becomes a `w:comment`
 * (author, initials, date, its text as paragraphs), the replies threaded under the first one
 * (`parentId`, written by `docx` to commentsExtended.xml) and a resolved thread marked done. As
 * Word itself writes a thread, every comment of it has its own range marks and reference around
 * the same text. Threads whose text was deleted are anchored on a paragraph of their own at the
 * end, under "Comments on deleted text", holding the quote they were made on.
 */
import {
  CommentRangeEnd,
  CommentRangeStart,
  CommentReference,
  type ICommentsOptions,
  Paragraph,
  type ParagraphChild,
  TextRun,
} from 'docx';
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';
import { type CommentNote, commentRef, commentStart, noteSummary } from './comment-notes.ts';

function initials(name: string): string {
  const letters = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 3)
    .map((word) => Array.from(word)[0]!.toUpperCase());
  return letters.join('') || '?';
}

export class WordComments {
  private readonly notes: CommentNote[];
  /** Word ids of each thread's comments, by thread number: ids run 0, 1, 2, … over all comments. */
  private readonly ids = new Map<number, number[]>();
  private readonly xmlText: (text: string) => string;

  constructor(notes: CommentNote[], xmlText: (text: string) => string) {
    this.notes = notes;
    this.xmlText = xmlText;
    let next = 0;
    for (const note of notes)
      this.ids.set(
        note.number,
        note.thread.comments.map(() => next++),
      );
  }

  /** The range starts of thread `n`'s comments. */
  starts(n: number): ParagraphChild[] {
    return (this.ids.get(n) ?? []).map((id) => new CommentRangeStart(id));
  }

  /** The range ends of thread `n`'s comments and their references (the balloon's anchor). */
  ends(n: number): ParagraphChild[] {
    const ids = this.ids.get(n) ?? [];
    return [
      ...ids.map((id) => new CommentRangeEnd(id)),
      ...ids.map((id) => new TextRun({ children: [new CommentReference(id)] })),
    ];
  }

  options(): ICommentsOptions {
    return {
      children: this.notes.flatMap((note) => {
        const ids = this.ids.get(note.number)!;
        return note.thread.comments.map((comment, i) => {
          const date = new Date(comment.createdAt);
          return {
            id: ids[i]!,
            author: this.xmlText(comment.author),
            initials: this.xmlText(initials(comment.author)),
            ...(!Number.isNaN(date.getTime()) && { date }),
            ...(i > 0 && { parentId: ids[0]! }),
            ...(note.thread.resolved && { resolved: true }),
            children: this.xmlText(comment.body)
              .split(/\r\n?|\n/)
              .map((line) => new Paragraph({ children: [new TextRun(line)] })),
          };
        });
      }),
    };
  }
}

/** Paragraphs at the end of the document that anchor the threads whose text is gone. */
export function deletedTextBlocks(notes: CommentNote[]): ProseMirrorJson[] {
  const deleted = notes.filter((note) => !note.anchored);
  if (deleted.length === 0) return [];
  return [
    { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Comments on deleted text' }] },
    ...deleted.map((note) => {
      const quote = noteSummary(note).quote || `Comment ${note.number}`;
      return {
        type: 'paragraph',
        content: [
          commentStart(note.number),
          { type: 'text', text: quote, marks: [{ type: 'italic' }] },
          commentRef(note.number),
        ],
      };
    }),
  ];
}
