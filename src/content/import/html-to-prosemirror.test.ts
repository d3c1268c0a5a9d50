import { describe, expect, it } from 'vitest';
import { htmlToProsemirror, ImportLimitError } from './html-to-prosemirror.ts';

const body = (html: string) => htmlToProsemirror(html).content ?? [];

describe('imported HTML → the editor schema [I1]', () => {
  it('maps headings, paragraphs, marks and links, collapsing whitespace like ProseMirror', () => {
    expect(
      body('<h2>Plan</h2>\n<p>  Hello <strong>bold</strong> and <em>it</em>  <a href="https://x.test/">link</a> </p>'),
    ).toEqual([
      { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Plan' }] },
      {
        type: 'paragraph',
        content: [
          { type: 'text', text: 'Hello ' },
          { type: 'text', text: 'bold', marks: [{ type: 'bold' }] },
          { type: 'text', text: ' and ' },
          { type: 'text', text: 'it', marks: [{ type: 'italic' }] },
          { type: 'text', text: ' ' },
          { type: 'text', text: 'link', marks: [{ type: 'link', attrs: { href: 'https://x.test/' } }] },
        ],
      },
    ]);
  });

  it('sanitizes: scripts, styles, event handlers and javascript: links never arrive', () => {
    const doc = body(
      '<p onclick="x()">a<script>alert(1)</script><style>p{}</style><a href="javascript:alert(1)">b</a><img src=x onerror=y></p>',
    );
    expect(doc).toEqual([{ type: 'paragraph', content: [{ type: 'text', text: 'ab' }] }]);
  });

  it('reads lists (ordered with start, nested, task lists) with a paragraph first in each item', () => {
    const doc = body(
      '<ol start="3"><li>one<ul><li>inner</li></ul></li></ol><ul><li><input type="checkbox" checked> done</li><li><input type="checkbox"> todo</li></ul>',
    );
    expect(doc[0]).toEqual({
      type: 'orderedList',
      attrs: { start: 3 },
      content: [
        {
          type: 'listItem',
          content: [
            { type: 'paragraph', content: [{ type: 'text', text: 'one' }] },
            {
              type: 'bulletList',
              content: [
                { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'inner' }] }] },
              ],
            },
          ],
        },
      ],
    });
    expect(doc[1]).toMatchObject({
      type: 'taskList',
      content: [
        { type: 'taskItem', attrs: { checked: true }, content: [{ type: 'paragraph', content: [{ text: 'done' }] }] },
        { type: 'taskItem', attrs: { checked: false } },
      ],
    });
  });

  it('reads tables with header cells and spans, code blocks with their language and whitespace', () => {
    const doc = body(
      '<table><thead><tr><th>A</th><th colspan="2">B</th></tr></thead><tbody><tr><td>1</td><td></td></tr></tbody></table>' +
        '<pre><code class="language-ts">const a = 1;\n  b();\n</code></pre><hr><blockquote>q</blockquote>',
    );
    expect(doc[0]).toMatchObject({
      type: 'table',
      content: [
        {
          type: 'tableRow',
          content: [
            { type: 'tableHeader', attrs: { colspan: 1, rowspan: 1 } },
            { type: 'tableHeader', attrs: { colspan: 2 } },
          ],
        },
        { type: 'tableRow', content: [{ type: 'tableCell' }, { type: 'tableCell', content: [{ type: 'paragraph' }] }] },
      ],
    });
    expect(doc[1]).toEqual({
      type: 'codeBlock',
      attrs: { language: 'ts' },
      content: [{ type: 'text', text: 'const a = 1;\n  b();' }],
    });
    expect(doc.slice(2).map((n) => n.type)).toEqual(['horizontalRule', 'blockquote']);
  });

  it("reads Google Docs' styled spans as marks and its bold wrapper as not bold", () => {
    const doc = body(
      '<b style="font-weight:normal;" id="docs-internal-guid-1"><p><span style="font-weight:700">B</span><span style="font-style:italic">I</span><span>plain</span></p></b>',
    );
    expect(doc).toEqual([
      {
        type: 'paragraph',
        content: [
          { type: 'text', text: 'B', marks: [{ type: 'bold' }] },
          { type: 'text', text: 'I', marks: [{ type: 'italic' }] },
          { type: 'text', text: 'plain' },
        ],
      },
    ]);
  });

  it('[I3] refuses HTML nested past the limits, without a stack overflow', () => {
    const deep = `${'<div>'.repeat(5_000)}x${'</div>'.repeat(5_000)}`;
    expect(() => htmlToProsemirror(deep)).toThrow(ImportLimitError);
    const lists = `${'<ul><li>'.repeat(40)}x${'</li></ul>'.repeat(40)}`;
    expect(() => htmlToProsemirror(lists)).toThrow(/nested more than 64 levels/);
    expect(() => htmlToProsemirror('<p>a</p>'.repeat(20), { maxElementDepth: 10, maxDepth: 10, maxNodes: 10 })).toThrow(
      /more than 10 blocks/,
    );
  });

  it('an empty file is one empty paragraph', () => {
    expect(htmlToProsemirror('')).toEqual({ type: 'doc', content: [{ type: 'paragraph' }] });
  });

  it('[I4] lifts images out of paragraphs, headings and list items as blocks, keeping the text around them', () => {
    const keep = (src: string) => (src.startsWith('data:') ? `kept:${src.slice(5, 8)}` : undefined);
    const doc = htmlToProsemirror(
      '<h2>Title <img src="data:a" alt=" A  chart "> tail</h2><ul><li><img src="data:b"> item</li></ul><p><img src="https://x/y.png"></p>',
      undefined,
      keep,
    );
    expect(doc.content).toEqual([
      { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Title' }] },
      { type: 'image', attrs: { src: 'kept:a', alt: 'A chart', title: null } },
      { type: 'paragraph', content: [{ type: 'text', text: 'tail' }] },
      {
        type: 'bulletList',
        content: [
          {
            type: 'listItem',
            content: [
              { type: 'paragraph' },
              { type: 'image', attrs: { src: 'kept:b', alt: null, title: null } },
              { type: 'paragraph', content: [{ type: 'text', text: 'item' }] },
            ],
          },
        ],
      },
    ]);
  });
});
