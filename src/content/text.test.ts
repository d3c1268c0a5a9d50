import { describe, expect, it } from 'vitest';
import type { ProseMirrorJson } from './prosemirror-json.ts';
import { toPlainText } from './text.ts';

const text = (value: string, ...marks: string[]): ProseMirrorJson => ({
  type: 'text',
  text: value,
  ...(marks.length > 0 ? { marks: marks.map((type) => ({ type })) } : {}),
});
const paragraph = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'paragraph', content });
const doc = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'doc', content });
const item = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'listItem', content });

describe('toPlainText', () => {
  it('puts each block, list item and hard break on its own line so words never run together', () => {
    const plain = toPlainText(
      doc(
        { type: 'heading', attrs: { level: 1 }, content: [text('Title')] },
        paragraph(text('one'), { type: 'hardBreak' }, text('two')),
        {
          type: 'bulletList',
          content: [
            item(paragraph(text('first')), { type: 'orderedList', content: [item(paragraph(text('nested')))] }),
            item(paragraph(text('second'))),
          ],
        },
        { type: 'blockquote', content: [paragraph(text('quoted'))] },
      ),
    );

    expect(plain).toBe('Title\none\ntwo\nfirst\nnested\nsecond\nquoted');
  });

  it('joins the text runs of one block without adding spaces', () => {
    expect(toPlainText(doc(paragraph(text('un'), text('believ', 'bold'), text('able'))))).toBe('unbelievable');
  });

  it('keeps code blocks verbatim and drops all markup', () => {
    const plain = toPlainText(
      doc(
        { type: 'codeBlock', attrs: { language: 'md' }, content: [text('# not a heading\n  indented')] },
        paragraph(text('<b>literal</b> **too**', 'bold')),
      ),
    );

    expect(plain).toBe('# not a heading\n  indented\n<b>literal</b> **too**');
  });

  it("uses an image's alt text and an empty line for a rule or an empty paragraph", () => {
    const plain = toPlainText(
      doc(
        { type: 'image', attrs: { src: '/a.png', alt: 'a diagram' } },
        { type: 'horizontalRule' },
        paragraph(),
        paragraph(text('end')),
      ),
    );

    expect(plain).toBe('a diagram\n\n\nend');
  });

  it('gives an empty string for an empty document', () => {
    expect(toPlainText(doc())).toBe('');
    expect(toPlainText(doc(paragraph()))).toBe('');
  });

  it('keeps unicode as it is', () => {
    expect(toPlainText(doc(paragraph(text('naïve 日本語 😀'))))).toBe('naïve 日本語 😀');
  });

  it('ignores content past the nesting limit instead of overflowing the stack', () => {
    let node: ProseMirrorJson = paragraph(text('too deep'));
    for (let level = 0; level < 50_000; level++) node = { type: 'blockquote', content: [node] };

    expect(toPlainText(doc(paragraph(text('shallow')), node))).toBe('shallow\n');
  });
});
