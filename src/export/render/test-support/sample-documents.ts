/**
 * ProseMirror documents for the renderer tests and the export benchmark: one that uses every
 * StarterKit node and mark, and a long one of a chosen number of words (headings, lists, quotes,
 * code) built from a seeded generator, so every run renders the same document.
 */
import type { ProseMirrorJson, ProseMirrorMark } from '../../../content/prosemirror-json.ts';

export const text = (value: string, ...marks: (string | ProseMirrorMark)[]): ProseMirrorJson => ({
  type: 'text',
  text: value,
  ...(marks.length > 0 ? { marks: marks.map((mark) => (typeof mark === 'string' ? { type: mark } : mark)) } : {}),
});
export const paragraph = (...content: ProseMirrorJson[]): ProseMirrorJson =>
  content.length > 0 ? { type: 'paragraph', content } : { type: 'paragraph' };
export const heading = (level: number, value: string): ProseMirrorJson => ({
  type: 'heading',
  attrs: { level },
  content: [text(value)],
});
export const item = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'listItem', content });
export const bullets = (...items: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'bulletList', content: items });
export const numbered = (start: number, ...items: ProseMirrorJson[]): ProseMirrorJson => ({
  type: 'orderedList',
  attrs: { start },
  content: items,
});
export const quote = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'blockquote', content });
export const code = (value: string, language = 'ts'): ProseMirrorJson => ({
  type: 'codeBlock',
  attrs: { language },
  content: [text(value)],
});
export const doc = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'doc', content });
export const link = (href: string): ProseMirrorMark => ({ type: 'link', attrs: { href } });

/** Every StarterKit node and mark once, plus a node type no renderer knows. */
export function richDocument(): ProseMirrorJson {
  return doc(
    heading(1, 'Quarterly plan'),
    paragraph(
      text('Plain, '),
      text('bold', 'bold'),
      text(', '),
      text('italic', 'italic'),
      text(', '),
      text('struck', 'strike'),
      text(', '),
      text('underlined', 'underline'),
      text(', '),
      text('inline code', 'code'),
      text(' and a '),
      text('link', link('https://example.com/plan?a=1&b=2')),
      text('.'),
    ),
    heading(2, 'Goals'),
    bullets(
      item(paragraph(text('Ship export')), bullets(item(paragraph(text('PDF'))), item(paragraph(text('DOCX'))))),
      item(paragraph(text('Keep saves fast'))),
    ),
    heading(3, 'Steps'),
    numbered(
      3,
      item(paragraph(text('Render'))),
      item(paragraph(text('Store')), numbered(1, item(paragraph(text('Sign'))))),
    ),
    quote(paragraph(text('Quoted wisdom.'))),
    code('const answer = 42;\nconsole.log(answer < 43);'),
    { type: 'horizontalRule' },
    paragraph(text('line one'), { type: 'hardBreak' }, text('line two')),
    heading(4, 'Four'),
    heading(5, 'Five'),
    heading(6, 'Six'),
    { type: 'callout', content: [text('Unknown node text')] },
  );
}

/** Deterministic pseudo-random numbers (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const vocabulary = (
  'the export renders every document into a file people can print share and archive while the editor ' +
  'keeps saving changes from everyone in the room without waiting for the worker threads that format ' +
  'headings lists quotes and code blocks into pages with numbers titles links and styles'
).split(' ');

/** About `words` words of prose in sections, with lists, quotes and code; ~500 words per A4 page. */
export function longDocument(words: number, seed = 7): ProseMirrorJson {
  const random = seeded(seed);
  const pick = () => vocabulary[Math.floor(random() * vocabulary.length)]!;
  const sentence = (length: number) => {
    const parts = Array.from({ length }, pick);
    parts[0] = parts[0]!.charAt(0).toUpperCase() + parts[0]!.slice(1);
    return `${parts.join(' ')}.`;
  };
  const prose = (length: number): ProseMirrorJson => {
    const runs: ProseMirrorJson[] = [];
    let left = length;
    while (left > 0) {
      const n = Math.min(left, 8 + Math.floor(random() * 12));
      const roll = random();
      const marks = roll < 0.08 ? ['bold'] : roll < 0.14 ? ['italic'] : roll < 0.17 ? ['code'] : [];
      runs.push(text(`${sentence(n)} `, ...marks));
      left -= n;
    }
    return paragraph(...runs);
  };
  const blocks: ProseMirrorJson[] = [];
  let written = 0;
  let section = 0;
  while (written < words) {
    section++;
    blocks.push(heading(section % 3 === 1 ? 1 : 2, `Section ${section}: ${sentence(3)}`));
    blocks.push(prose(90), prose(70));
    blocks.push(
      bullets(
        item(paragraph(text(sentence(8)))),
        item(
          paragraph(text(sentence(10))),
          numbered(1, item(paragraph(text(sentence(6)))), item(paragraph(text(sentence(7))))),
        ),
      ),
    );
    blocks.push(quote(paragraph(text(sentence(20)))));
    blocks.push(code(Array.from({ length: 6 }, (_, i) => `line ${i}: ${sentence(4)}`).join('\n')));
    blocks.push(
      paragraph(text(sentence(12)), text(' see '), text('the guide', link(`https://example.com/guide/${section}`))),
    );
    written += 90 + 70 + 8 + 10 + 6 + 7 + 20 + 24 + 14 + 3;
  }
  return doc(...blocks);
}
