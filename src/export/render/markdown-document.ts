/**
 * The Markdown export: the document's title as a level-1 heading, then the document, both through
 * src/content/markdown.ts so the title is escaped like any other heading. Comment threads [E10]
 * are footnotes (GFM): `[^n]` after their text, their notes at the end, each comment a paragraph
 * of the note.
 */
import { toMarkdown } from '../../content/markdown.ts';
import { inlineMarkdown } from '../../content/markdown-inline.ts';
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';
import { bodyInline, type CommentNote, commentDate, noteSummary } from './comment-notes.ts';

export function toMarkdownDocument(title: string, content: ProseMirrorJson, notes: CommentNote[] = []): string {
  const heading: ProseMirrorJson = { type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: title }] };
  const markdown = toMarkdown({ type: 'doc', content: [heading, ...(content.content ?? [])] });
  if (notes.length === 0) return markdown;
  return `${markdown.replace(/\n*$/, '')}\n\n${notes.map(footnote).join('\n\n')}\n`;
}

/** Continuation lines of a footnote are indented four spaces. */
const indent = (text: string) => text.replace(/\n/g, '\n    ');

function footnote(note: CommentNote): string {
  const { quote, status } = noteSummary(note);
  const head = inlineMarkdown(
    [{ type: 'text', text: [quote, status].filter(Boolean).join(' ') || 'Comment' }],
    'paragraph',
  );
  const comments = note.thread.comments.map((c) => {
    const when = commentDate(c.createdAt);
    const line: ProseMirrorJson[] = [
      { type: 'text', text: c.author, marks: [{ type: 'bold' }] },
      { type: 'text', text: when ? ` · ${when}: ` : ': ' },
      ...bodyInline(c.body),
    ];
    return indent(inlineMarkdown(line, 'paragraph'));
  });
  return `[^${note.number}]: ${head}\n\n${comments.map((c) => `    ${c}`).join('\n\n')}`;
}
