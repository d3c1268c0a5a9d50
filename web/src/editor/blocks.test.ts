/**
 * The editor's new blocks survive the trip the server makes: the real editor schema (base-kit.ts
 * plus blocks.ts, as create-editor.ts sets them up) writes a document into a Y.Doc the way
 * y-prosemirror does, and src/content projects it back to the same JSON, to search text, HTML and
 * Markdown. Pure: no DOM is needed to build the schema.
 */
import { getSchema } from '@tiptap/core';
import { prosemirrorJSONToYDoc } from '@tiptap/y-tiptap';
import { describe, expect, it } from 'vitest';
import { documentFromProsemirror } from '../../../src/content/from-prosemirror.ts';
import { toHtml } from '../../../src/content/html.ts';
import { toMarkdown } from '../../../src/content/markdown.ts';
import { type ProseMirrorJson, projectDocument, tiptapFragmentName } from '../../../src/content/projection.ts';
import { baseExtensions } from './base-kit.ts';
import { blockExtensions, openLinkOnModClick } from './blocks.ts';

const schema = getSchema([...baseExtensions(), ...blockExtensions()]);

const text = (value: string, ...marks: string[]): ProseMirrorJson => ({
  type: 'text',
  text: value,
  ...(marks.length > 0 ? { marks: marks.map((type) => ({ type })) } : {}),
});
const paragraph = (...content: ProseMirrorJson[]): ProseMirrorJson => ({ type: 'paragraph', content });
const cell = (type: 'tableCell' | 'tableHeader', value: string): ProseMirrorJson => ({
  type,
  content: [paragraph(text(value))],
});

const TABLE: ProseMirrorJson = {
  type: 'table',
  content: [
    { type: 'tableRow', content: [cell('tableHeader', 'Name'), cell('tableHeader', 'Owner')] },
    { type: 'tableRow', content: [cell('tableCell', 'Launch | plan'), cell('tableCell', 'Ada')] },
  ],
};
const TASKS: ProseMirrorJson = {
  type: 'taskList',
  content: [
    { type: 'taskItem', attrs: { checked: true }, content: [paragraph(text('Write brief'))] },
    { type: 'taskItem', attrs: { checked: false }, content: [paragraph(text('Ship it'))] },
  ],
};
const MARKS = paragraph(
  text('under', 'underline'),
  text(' '),
  text('gone', 'strike'),
  text(' '),
  text('lit', 'highlight'),
);
const DOC: ProseMirrorJson = { type: 'doc', content: [TABLE, TASKS, MARKS, { type: 'horizontalRule' }] };

/** ProseMirror's toJSON with the null attributes y-prosemirror does not store left out. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
  return Object.fromEntries(entries.map(([k, v]) => [k, withoutNulls(v)]));
}

describe('editor blocks on the server [issue 13]', () => {
  it('project a y-prosemirror document with a table, a checklist, underline/strike/highlight and a rule exactly', () => {
    const node = schema.nodeFromJSON(DOC);
    node.check();
    const ydoc = prosemirrorJSONToYDoc(schema, node.toJSON(), tiptapFragmentName);
    expect(projectDocument(ydoc).content).toEqual(withoutNulls(node.toJSON()));
  });

  it('survive a repair rebuild (compaction writes the projection back) unchanged', () => {
    const ydoc = prosemirrorJSONToYDoc(schema, schema.nodeFromJSON(DOC).toJSON(), tiptapFragmentName);
    const first = projectDocument(ydoc).content;
    const rebuilt = projectDocument(documentFromProsemirror(first)).content;
    expect(rebuilt).toEqual(first);
    expect(() => schema.nodeFromJSON(rebuilt).check()).not.toThrow();
  });

  it('appear in search text: every cell, every task, every marked word', () => {
    const ydoc = prosemirrorJSONToYDoc(schema, DOC, tiptapFragmentName);
    const { text: plain } = projectDocument(ydoc);
    for (const word of ['Name', 'Owner', 'Launch | plan', 'Ada', 'Write brief', 'Ship it', 'under', 'gone', 'lit']) {
      expect(plain).toContain(word);
    }
  });

  it('render to HTML the editor reads back as the same blocks', () => {
    const html = toHtml(DOC);
    expect(html).toContain('<table><tbody><tr><th><p>Name</p></th><th><p>Owner</p></th></tr>');
    expect(html).toContain('<td><p>Launch | plan</p></td>');
    expect(html).toContain(
      '<ul data-type="taskList"><li data-type="taskItem" data-checked="true"><input type="checkbox" disabled checked><div><p>Write brief</p></div></li>',
    );
    expect(html).toContain('<p><u>under</u> <s>gone</s> <mark>lit</mark></p><hr>');
  });

  it('render to Markdown as a GFM table and task items', () => {
    expect(toMarkdown(DOC)).toBe(
      [
        '| Name | Owner |',
        '| --- | --- |',
        '| Launch \\| plan | Ada |',
        '',
        '- [x] Write brief',
        '- [ ] Ship it',
        '',
        'under ~~gone~~ lit',
        '',
        '***',
        '',
      ].join('\n'),
    );
  });

  it('keeps spanned cells and a cell with several blocks on one Markdown row', () => {
    const table: ProseMirrorJson = {
      type: 'table',
      content: [
        {
          type: 'tableRow',
          content: [{ ...cell('tableHeader', 'Wide'), attrs: { colspan: 2 } }, cell('tableHeader', 'C')],
        },
        {
          type: 'tableRow',
          content: [
            { type: 'tableCell', content: [paragraph(text('one')), paragraph(text('two'))] },
            cell('tableCell', 'b'),
            cell('tableCell', 'c'),
          ],
        },
      ],
    };
    expect(toMarkdown({ type: 'doc', content: [table] })).toBe(
      '| Wide | | C |\n| --- | --- | --- |\n| one two | b | c |\n',
    );
    expect(toHtml({ type: 'doc', content: [table] })).toContain('<th colspan="2"><p>Wide</p></th>');
  });
});

describe('link Ctrl/Cmd+click [issue 13]', () => {
  const click = (init: MouseEventInit) => ({ button: 0, ctrlKey: false, metaKey: false, ...init }) as MouseEvent;

  it('opens an allowed link in a new tab only with Ctrl or Cmd held', () => {
    const opened: unknown[][] = [];
    const open = ((...args: unknown[]) => {
      opened.push(args);
      return null;
    }) as typeof window.open;
    expect(openLinkOnModClick('https://example.com/a', click({}), open)).toBe(false);
    expect(openLinkOnModClick('https://example.com/a', click({ ctrlKey: true }), open)).toBe(true);
    expect(openLinkOnModClick('https://example.com/b', click({ metaKey: true }), open)).toBe(true);
    expect(opened).toEqual([
      ['https://example.com/a', '_blank', 'noopener,noreferrer'],
      ['https://example.com/b', '_blank', 'noopener,noreferrer'],
    ]);
  });

  it('never opens a disallowed scheme or a non-link', () => {
    const open = (() => {
      throw new Error('must not open');
    }) as typeof window.open;
    expect(openLinkOnModClick('javascript:alert(1)', click({ ctrlKey: true }), open)).toBe(false);
    expect(openLinkOnModClick(undefined, click({ ctrlKey: true }), open)).toBe(false);
  });

  it('keeps typing at a link end outside the link (the mark is not inclusive)', () => {
    expect(schema.marks.link!.spec.inclusive).toBe(false);
  });
});
