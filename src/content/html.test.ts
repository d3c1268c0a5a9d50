import { describe, expect, it } from 'vitest';
import { toHtml } from './html.ts';
import { toMarkdown } from './markdown.ts';
import type { ProseMirrorJson, ProseMirrorMark } from './prosemirror-json.ts';
import { toPlainText } from './text.ts';

const text = (value: string, ...marks: (string | ProseMirrorMark)[]): ProseMirrorJson => ({
  type: 'text',
  text: value,
  ...(marks.length > 0 ? { marks: marks.map((mark) => (typeof mark === 'string' ? { type: mark } : mark)) } : {}),
});
const paragraph = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'paragraph', content });
const doc = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'doc', content });
const link = (href: string, extra: Record<string, unknown> = {}): ProseMirrorMark => ({
  type: 'link',
  attrs: { href, ...extra },
});

describe('toHtml', () => {
  it('renders every StarterKit node as its semantic element', () => {
    const html = toHtml(
      doc(
        { type: 'heading', attrs: { level: 3 }, content: [text('Title')] },
        paragraph(text('a'), { type: 'hardBreak' }, text('b')),
        {
          type: 'bulletList',
          content: [{ type: 'listItem', content: [paragraph(text('one'))] }],
        },
        {
          type: 'orderedList',
          attrs: { start: 4 },
          content: [{ type: 'listItem', content: [paragraph(text('four'))] }],
        },
        { type: 'blockquote', content: [paragraph(text('quoted'))] },
        { type: 'codeBlock', attrs: { language: 'ts' }, content: [text('let a = 1 < 2;\n')] },
        { type: 'horizontalRule' },
        { type: 'image', attrs: { src: 'https://example.com/a.png', alt: 'A', title: 'T' } },
      ),
    );

    expect(html).toBe(
      '<h3>Title</h3><p>a<br>b</p><ul><li><p>one</p></li></ul><ol start="4"><li><p>four</p></li></ol>' +
        '<blockquote><p>quoted</p></blockquote><pre><code class="language-ts">let a = 1 &lt; 2;\n</code></pre><hr>' +
        '<img src="https://example.com/a.png" alt="A" title="T">',
    );
  });

  it('renders marks as properly nested elements, sharing one element across adjacent text', () => {
    const html = toHtml(doc(paragraph(text('a', 'bold'), text('b', 'bold', 'italic'), text('c', 'italic', 'code'))));

    expect(html).toBe('<p><strong>a<em>b</em></strong><em><code>c</code></em></p>');
  });

  it('renders strike and underline', () => {
    expect(toHtml(doc(paragraph(text('gone', 'strike'), text('under', 'underline'))))).toBe(
      '<p><s>gone</s><u>under</u></p>',
    );
  });

  it('escapes markup in text so it renders literally', () => {
    expect(toHtml(doc(paragraph(text('<script>alert("x")</script> & \'q\''))))).toBe(
      '<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</p>',
    );
  });

  it('escapes quotes in attribute values so they cannot open new attributes', () => {
    const html = toHtml(
      doc(paragraph(text('x', link('https://example.com/?q="><script>alert(1)</script>'))), {
        type: 'image',
        attrs: { src: '/a.png', alt: '" onerror="alert(1)', title: "' onload='x" },
      }),
    );

    expect(html).toBe(
      '<p><a href="https://example.com/?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" rel="noopener noreferrer nofollow">x</a></p>' +
        '<img src="/a.png" alt="&quot; onerror=&quot;alert(1)" title="&#39; onload=&#39;x">',
    );
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    '\u0001javascript:alert(1)',
    'vbscript:msgbox(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    // Character references spell the scheme once a reader decodes them.
    '&#106;avascript:alert(1)',
    '&#x6A;avascript:alert(1)',
    '&#0000106avascript:alert(1)',
    'javascript&colon;alert(1)',
    'java&Tab;script:alert(1)',
    '&amp;#106;avascript:alert(1)',
  ])('drops the link but keeps its text for %j', (href) => {
    expect(toHtml(doc(paragraph(text('click', link(href)))))).toBe('<p>click</p>');
  });

  it.each([
    ['https://example.com/a?b=1&c=2', 'https://example.com/a?b=1&amp;c=2'],
    ['http://example.com', 'http://example.com'],
    ['mailto:someone@example.com', 'mailto:someone@example.com'],
    ['/docs/abc', '/docs/abc'],
    ['#section', '#section'],
    ['relative/path:with-colon', 'relative/path:with-colon'],
  ])('keeps the link %j', (href, rendered) => {
    expect(toHtml(doc(paragraph(text('x', link(href)))))).toBe(
      `<p><a href="${rendered}" rel="noopener noreferrer nofollow">x</a></p>`,
    );
  });

  it('opens links marked target _blank in a new tab without giving it the opener', () => {
    expect(toHtml(doc(paragraph(text('x', link('https://e.com', { target: '_blank' })))))).toBe(
      '<p><a href="https://e.com" target="_blank" rel="noopener noreferrer nofollow">x</a></p>',
    );
  });

  it('keeps images from http, https, relative and raster data URLs only, else shows the alt text', () => {
    const image = (src: string) => ({ type: 'image', attrs: { src, alt: 'pic' } });

    expect(toHtml(doc(image('data:image/png;base64,iVBORw0KGgo=')))).toBe(
      '<img src="data:image/png;base64,iVBORw0KGgo=" alt="pic">',
    );
    expect(toHtml(doc(image('javascript:alert(1)')))).toBe('pic');
    expect(toHtml(doc(image('data:image/svg+xml;base64,PHN2Zz4=')))).toBe('pic');
  });

  it('never turns a node or mark type from the document into a tag', () => {
    const html = toHtml(
      doc(
        { type: 'script', content: [text('alert(1)')] },
        { type: 'constructor', content: [paragraph(text('proto'))] },
        { type: 'img src=x onerror=alert(1)' },
        paragraph(text('x', 'script', 'toString')),
      ),
    );

    expect(html).toBe('<p>alert(1)</p><p>proto</p><p>x</p>');
  });

  it('clamps hostile heading levels and list starts and ignores odd code languages', () => {
    const html = toHtml(
      doc(
        { type: 'heading', attrs: { level: '1 onclick=alert(1)' }, content: [text('a')] },
        { type: 'heading', attrs: { level: 9 }, content: [text('b')] },
        { type: 'orderedList', attrs: { start: '"><script>' }, content: [] },
        { type: 'codeBlock', attrs: { language: 'js" onclick="x' }, content: [text('c')] },
      ),
    );

    expect(html).toBe('<h1>a</h1><h6>b</h6><ol></ol><pre><code>c</code></pre>');
  });

  it('renders unicode as it is', () => {
    expect(toHtml(doc(paragraph(text('naïve 日本語 😀 \u202eevil'))))).toBe('<p>naïve 日本語 😀 \u202eevil</p>');
  });

  it('renders an empty document as an empty paragraph or nothing', () => {
    expect(toHtml(doc(paragraph()))).toBe('<p></p>');
    expect(toHtml(doc())).toBe('');
  });

  it('renders a pathologically deep document without overflowing the stack', () => {
    let node: ProseMirrorJson = paragraph(text('deep'));
    for (let level = 0; level < 50_000; level++) node = { type: 'blockquote', content: [node] };

    expect(() => toHtml(doc(node))).not.toThrow();
  });
});

describe('mixed block and inline children (content another editor wrote)', () => {
  it('keeps the blocks when a stray inline node sits among them', () => {
    const doc = {
      type: 'doc',
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'hello' }] },
        { type: 'mention', attrs: { label: '@x' } },
      ],
    };
    expect(toHtml(doc)).toContain('<p>hello</p>');
    expect(toMarkdown(doc)).toContain('hello');
    expect(toPlainText(doc)).toContain('hello');
  });
});
