import { describe, expect, it } from 'vitest';
import { toMarkdown } from './markdown.ts';
import type { ProseMirrorJson, ProseMirrorMark } from './prosemirror-json.ts';

const text = (value: string, ...marks: (string | ProseMirrorMark)[]): ProseMirrorJson => ({
  type: 'text',
  text: value,
  ...(marks.length > 0 ? { marks: marks.map((mark) => (typeof mark === 'string' ? { type: mark } : mark)) } : {}),
});
const paragraph = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'paragraph', content });
const doc = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'doc', content });
const item = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'listItem', content });
const bullets = (...items: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'bulletList', content: items });
const numbered = (start: number, ...items: ProseMirrorJson[]): ProseMirrorJson => ({
  type: 'orderedList',
  attrs: { start },
  content: items,
});
const hardBreak: ProseMirrorJson = { type: 'hardBreak' };
const link = (href: string): ProseMirrorMark => ({ type: 'link', attrs: { href } });
const md = (...content: ProseMirrorJson[]) => toMarkdown(doc(...content));

describe('toMarkdown', () => {
  it('renders headings with one # per level, clamped to 1–6', () => {
    const heading = (level: unknown, value: string) => ({ type: 'heading', attrs: { level }, content: [text(value)] });

    expect(md(heading(1, 'One'), heading(3, 'Three'), heading(9, 'Nine'), heading('x', 'Odd'))).toBe(
      '# One\n\n### Three\n\n###### Nine\n\n# Odd\n',
    );
  });

  it('escapes markup in text so it renders literally', () => {
    expect(md(paragraph(text('Use *stars*, _under_, [brackets](x), `ticks`, ~tilde~ and \\back!')))).toBe(
      'Use \\*stars\\*, \\_under\\_, \\[brackets\\](x), \\`ticks\\`, \\~tilde\\~ and \\\\back\\!\n',
    );
  });

  it('escapes raw HTML so it is never passed through', () => {
    expect(md(paragraph(text('<script>alert(1)</script> <img src=x onerror=alert(1)>')))).toBe(
      '\\<script>alert(1)\\</script> \\<img src=x onerror=alert(1)>\n',
    );
  });

  it('escapes only ampersands that would start an entity', () => {
    expect(md(paragraph(text('Tom & Jerry &amp; &#123; &copy')))).toBe('Tom & Jerry \\&amp; \\&#123; &copy\n');
  });

  it('leaves underscores inside words alone', () => {
    expect(md(paragraph(text('snake_case_name and _edge_ and 日本_語')))).toBe(
      'snake_case_name and \\_edge\\_ and 日本_語\n',
    );
  });

  it.each([
    ['# not a heading', '\\# not a heading'],
    ['> not a quote', '\\> not a quote'],
    ['- not a list', '\\- not a list'],
    ['+ not a list', '\\+ not a list'],
    ['* not a list', '\\* not a list'],
    ['1. not a list', '1\\. not a list'],
    ['2) not a list', '2\\) not a list'],
    ['---', '\\---'],
    ['===', '\\==='],
    ['```', '\\`\\`\\`'],
    ['    not code', 'not code'],
    ['[x]: /not-a-definition', '\\[x\\]: /not-a-definition'],
  ])('escapes %j where a line starts so it stays a paragraph', (input, output) => {
    expect(md(paragraph(text(input)))).toBe(`${output}\n`);
  });

  it('escapes line-start markers after a hard break too', () => {
    expect(md(paragraph(text('first'), hardBreak, text('# second'), hardBreak, text('---')))).toBe(
      'first\\\n\\# second\\\n\\---\n',
    );
  });

  it('keeps closing hashes of a heading as text', () => {
    expect(md({ type: 'heading', attrs: { level: 2 }, content: [text('C# is not ##')] })).toBe('## C# is not \\##\n');
  });

  it('renders hard breaks as a backslash at the end of the line, except at the edges of a block', () => {
    expect(md(paragraph(hardBreak, text('a'), hardBreak, text('b'), hardBreak))).toBe('a\\\nb\n');
    expect(md({ type: 'heading', attrs: { level: 1 }, content: [text('a'), hardBreak, text('b')] })).toBe('# a b\n');
  });

  it('renders bold, italic, strike, code and links, dropping underline', () => {
    expect(
      md(
        paragraph(
          text('bold', 'bold'),
          text(' '),
          text('italic', 'italic'),
          text(' '),
          text('gone', 'strike'),
          text(' '),
          text('code', 'code'),
          text(' '),
          text('site', link('https://example.com')),
          text(' '),
          text('under', 'underline'),
        ),
      ),
    ).toBe('**bold** *italic* ~~gone~~ `code` [site](https://example.com) under\n');
  });

  it('nests combined marks so they read back as the same marks', () => {
    expect(md(paragraph(text('both', 'bold', 'italic')))).toBe('*__both__*\n');
    expect(md(paragraph(text('a', 'bold'), text('b', 'bold', 'italic'), text('c', 'italic')))).toBe('**a*b***_c_\n');
    expect(md(paragraph(text('bold link', 'bold', link('/x'))))).toBe('[**bold link**](/x)\n');
  });

  it('keeps emphasis inside a word', () => {
    expect(md(paragraph(text('un'), text('believ', 'bold'), text('able')))).toBe('un**believ**able\n');
  });

  it('switches delimiter where a closing and an opening run would touch', () => {
    // `*x***y**` is ambiguous; `__` for the second pair is not.
    expect(md(paragraph(text('x', 'italic'), text('y', 'bold')))).toBe('*x*__y__\n');
  });

  it('writes a letter as a character reference where emphasis meets punctuation inside a word', () => {
    // `a**(b)**c` does not parse as bold: a delimiter between a letter and punctuation cannot open.
    expect(md(paragraph(text('a'), text('(b)', 'bold'), text('c')))).toBe('&#x61;**(b)**&#x63;\n');
  });

  it('moves spaces at the edge of emphasis outside the delimiters', () => {
    expect(md(paragraph(text('bold ', 'bold'), text('text'), text(' it', 'italic')))).toBe('**bold** text *it*\n');
  });

  it('renders inline code with a fence longer than any backtick run inside it', () => {
    expect(
      md(
        paragraph(
          text('a `tick` and `` two', 'code'),
          text(' '),
          text('`starts', 'code'),
          text(' '),
          text(' padded ', 'code'),
        ),
      ),
    ).toBe('```a `tick` and `` two``` `` `starts `` `  padded  `\n');
  });

  it('renders links with URLs that survive spaces and parentheses', () => {
    expect(md(paragraph(text('see '), text('docs', link('https://e.com/a b(c)')), text(' now')))).toBe(
      'see [docs](https://e.com/a%20b\\(c\\)) now\n',
    );
  });

  it('drops links whose scheme is spelled with character references, and keeps & literal in kept URLs', () => {
    expect(md(paragraph(text('a', link('&#106;avascript:alert(1)')), text(' b', link('javascript&colon;x'))))).toBe(
      'a b\n',
    );
    expect(md(paragraph(text('q', link('https://e.com/?a=1&copy;=2&b'))))).toBe(
      '[q](https://e.com/?a=1\\&copy;=2&b)\n',
    );
  });

  it('drops links and images with unsafe URLs but keeps their text', () => {
    expect(
      md(
        paragraph(text('click', link('javascript:alert(1)'))),
        { type: 'image', attrs: { src: 'javascript:alert(1)', alt: 'alt [text]' } },
        { type: 'image', attrs: { src: '/a b.png', alt: 'A *b*', title: 'say "hi"' } },
      ),
    ).toBe('click\n\nalt \\[text\\]\n\n![A \\*b\\*](/a%20b.png "say \\"hi\\"")\n');
  });

  it('renders nested bullet and ordered lists indented under their markers', () => {
    const inner = numbered(1, item(paragraph(text('three'))));
    const middle = bullets(item(paragraph(text('two')), inner));

    expect(md(bullets(item(paragraph(text('one')), middle)))).toBe('- one\n  - two\n    1. three\n');
  });

  it("numbers ordered lists from their start and indents by each marker's width", () => {
    expect(
      md(
        numbered(9, item(paragraph(text('nine'))), item(paragraph(text('ten')), bullets(item(paragraph(text('sub')))))),
      ),
    ).toBe('9. nine\n10. ten\n    - sub\n');
  });

  it('separates items with blank lines when an item holds more than one paragraph', () => {
    expect(md(bullets(item(paragraph(text('first')), paragraph(text('second'))), item(paragraph(text('next')))))).toBe(
      '- first\n\n  second\n\n- next\n',
    );
  });

  it('gives adjacent lists of the same kind different markers so they stay separate lists', () => {
    expect(
      md(
        bullets(item(paragraph(text('a')))),
        bullets(item(paragraph(text('b')))),
        numbered(1, item(paragraph(text('c')))),
        numbered(1, item(paragraph(text('d')))),
      ),
    ).toBe('- a\n\n+ b\n\n1. c\n\n1) d\n');
  });

  it('keeps a horizontal rule and an empty item inside their list item', () => {
    expect(md(bullets(item({ type: 'horizontalRule' }), item(paragraph())))).toBe('- ***\n-\n');
  });

  it('renders code blocks with a fence longer than any backtick run and the language', () => {
    expect(
      md({ type: 'codeBlock', attrs: { language: 'js' }, content: [text('const s = `a` + ```b```;\n\nend')] }),
    ).toBe('````js\nconst s = `a` + ```b```;\n\nend\n````\n');
    expect(md({ type: 'codeBlock', attrs: { language: 'bad`info string' }, content: [] })).toBe(
      '```badinfostring\n```\n',
    );
  });

  it('indents code blocks inside list items, blank lines included', () => {
    expect(md(bullets(item(paragraph(text('item')), { type: 'codeBlock', content: [text('line 1\n\nline 3')] })))).toBe(
      '- item\n\n  ```\n  line 1\n\n  line 3\n  ```\n',
    );
  });

  it('prefixes every line of a blockquote, nested ones included', () => {
    expect(
      md(
        {
          type: 'blockquote',
          content: [
            paragraph(text('first')),
            paragraph(text('second'), hardBreak, text('third')),
            { type: 'blockquote', content: [paragraph(text('nested'))] },
          ],
        },
        { type: 'blockquote', content: [paragraph(text('separate'))] },
      ),
    ).toBe('> first\n>\n> second\\\n> third\n>\n> > nested\n\n> separate\n');
  });

  it('renders horizontal rules', () => {
    expect(md({ type: 'horizontalRule' }, paragraph(text('after')))).toBe('***\n\nafter\n');
  });

  it('renders unicode as it is', () => {
    expect(md(paragraph(text('naïve café 日本語 😀 👩‍👩‍👧')))).toBe('naïve café 日本語 😀 👩‍👩‍👧\n');
  });

  it('renders an empty document as an empty string', () => {
    expect(md()).toBe('');
    expect(md(paragraph())).toBe('');
  });

  it('renders a pathologically deep document without overflowing the stack', () => {
    let node: ProseMirrorJson = paragraph(text('deep'));
    for (let level = 0; level < 50_000; level++) node = bullets(item(node));

    expect(() => toMarkdown(doc(node))).not.toThrow();
  });

  it('renders a long document in linear time', () => {
    const paragraphs = Array.from({ length: 20_000 }, (_, i) =>
      paragraph(text(`Paragraph ${i} has `), text('bold', 'bold'), text(' and *stars*.')),
    );
    const started = performance.now();
    const markdown = toMarkdown(doc(...paragraphs));

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(markdown.split('\n\n')).toHaveLength(20_000);
  });
});
