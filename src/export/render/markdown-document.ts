/**
 * The Markdown export: the document's title as a level-1 heading, then the document, both through
 * src/content/markdown.ts so the title is escaped like any other heading.
 */
import { toMarkdown } from '../../content/markdown.ts';
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';

export function toMarkdownDocument(title: string, content: ProseMirrorJson): string {
  const heading: ProseMirrorJson = { type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: title }] };
  return toMarkdown({ type: 'doc', content: [heading, ...(content.content ?? [])] });
}
