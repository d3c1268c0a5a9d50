/**
 * Plain text that is Markdown (no HTML on the clipboard: a README from an editor, notes from a
 * terminal) is converted before it is pasted, so `# Title`, lists, checklists, tables and
 * emphasis arrive as blocks and marks. The converter (marked, GFM) loads only when such a paste
 * happens; its HTML then goes through the same rewrite as any pasted HTML (paste-html.ts), which
 * drops scripts and anything the schema has no place for.
 */
import { transformPastedHtml } from './paste-html.ts';

/** Block-level Markdown a person would not type by accident at a line start. */
const BLOCK_SIGNALS = [
  /^#{1,6}\s+\S/m,
  /^\s*[-*+]\s+\[[ xX]\]\s/m,
  /^\s*[-*+]\s+\S[^\n]*\n\s*[-*+]\s+\S/m,
  /^\s*\d{1,9}[.)]\s+\S[^\n]*\n\s*\d{1,9}[.)]\s+\S/m,
  /^>\s/m,
  /^(```|~~~)/m,
  /^\|.*\|\s*\n\|?\s*:?-{3,}/m,
];
/** Inline Markdown: strong emphasis and links with a URL. */
const INLINE_SIGNALS = [/\*\*[^*\n]+\*\*/, /__[^_\n]+__/, /\[[^\]\n]+\]\((https?:|mailto:)[^)\s]+\)/];

export function looksLikeMarkdown(text: string): boolean {
  if (text.length > 500_000) return false;
  return BLOCK_SIGNALS.some((signal) => signal.test(text)) || INLINE_SIGNALS.some((signal) => signal.test(text));
}

/** The Markdown as HTML the editor reads, loading the converter on first use. */
export async function markdownToHtml(text: string): Promise<string> {
  const { marked } = await import('marked');
  const html = await marked.parse(text, { gfm: true, breaks: false, async: true });
  return transformPastedHtml(html);
}
