import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type ProseMirrorJson, projectDocument, tiptapFragmentName } from './projection.ts';
import { maxNestingDepth } from './prosemirror-json.ts';

type Child = Y.XmlElement | Y.XmlText;

/** Builds a Y.Doc the way y-prosemirror lays one out: elements, then text runs with formatting. */
function docOf(...blocks: Child[]): Y.Doc {
  const doc = new Y.Doc();
  doc.getXmlFragment(tiptapFragmentName).insert(0, blocks);
  return doc;
}

function element(name: string, attrs: Record<string, unknown>, ...children: Child[]): Y.XmlElement {
  const node = new Y.XmlElement(name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value as string);
  node.insert(0, children);
  return node;
}

type Run = [text: string, marks?: Record<string, unknown>];

/** A Y.XmlText is filled once it belongs to a doc, so runs are applied after integration. */
function textOf(doc: Y.Doc, path: number[], runs: Run[]): void {
  let node: Y.XmlFragment | Y.XmlElement = doc.getXmlFragment(tiptapFragmentName);
  for (const index of path.slice(0, -1)) node = node.get(index) as Y.XmlElement;
  const text = node.get(path.at(-1)!) as Y.XmlText;
  text.applyDelta(runs.map(([insert, attributes]) => (attributes ? { insert, attributes } : { insert })));
}

/**
 * Captured from y-prosemirror 1.3.7 (`prosemirrorToYDoc(node, 'default')`) for a TipTap 3
 * StarterKit document; EXPECTED_FROM_Y_PROSEMIRROR is that document's `node.toJSON()` with the
 * null node attributes y-prosemirror does not store left out.
 */
const Y_PROSEMIRROR_UPDATE =
  'AS/N/JyQAQAHAQdkZWZhdWx0AwdoZWFkaW5nBwDN/JyQAQAGBADN/JyQAQENUmVsZWFzZSBub3RlcygAzfyckAEABWxldmVsAX0Ch838nJABAA' +
  'MJcGFyYWdyYXBoBwDN/JyQARAGBADN/JyQAREFUmVhZCCGzfyckAEWBGxpbmt0eyJocmVmIjoiaHR0cHM6Ly9leGFtcGxlLmNvbS9kb2NzIiwi' +
  'dGFyZ2V0IjoiX2JsYW5rIiwicmVsIjoibm9vcGVuZXIgbm9yZWZlcnJlciBub2ZvbGxvdyIsImNsYXNzIjpudWxsLCJ0aXRsZSI6bnVsbH2Gzf' +
  'yckAEXBGJvbGQCe32EzfyckAEYCHRoZSBkb2Nzhs38nJABIARsaW5rBG51bGyGzfyckAEhBGJvbGQEbnVsbITN/JyQASIFIGFuZCCGzfyckAEn' +
  'BGNvZGUCe32EzfyckAEoA3J1bobN/JyQASsEY29kZQRudWxsh838nJABEQMJaGFyZEJyZWFrh838nJABLQYEAM38nJABLgV0aGVuIIbN/JyQAT' +
  'MGaXRhbGljAnt9hs38nJABNAZzdHJpa2UCe32EzfyckAE1BHNoaXCGzfyckAE5Bml0YWxpYwRudWxshs38nJABOgZzdHJpa2UEbnVsbIfN/JyQ' +
  'ARADCmJ1bGxldExpc3QHAM38nJABPAMIbGlzdEl0ZW0HAM38nJABPQMJcGFyYWdyYXBoBwDN/JyQAT4GBADN/JyQAT8Db25lh838nJABPgMLb3' +
  'JkZXJlZExpc3QHAM38nJABQwMIbGlzdEl0ZW0HAM38nJABRAMJcGFyYWdyYXBoBwDN/JyQAUUGBADN/JyQAUYGbmVzdGVkKADN/JyQAUMFc3Rh' +
  'cnQBfQOHzfyckAE8AwpibG9ja3F1b3RlBwDN/JyQAU4DCXBhcmFncmFwaAcAzfyckAFPBgYAzfyckAFQCXVuZGVybGluZQJ7fYTN/JyQAVEGcX' +
  'VvdGVkhs38nJABVwl1bmRlcmxpbmUEbnVsbIfN/JyQAU4DCWNvZGVCbG9jawcAzfyckAFZBgQAzfyckAFaD2NvbnN0IGEgPSBgeGA7CigAzfyc' +
  'kAFZCGxhbmd1YWdlAXcCdHOHzfyckAFZAw5ob3Jpem9udGFsUnVsZYfN/JyQAWsDCXBhcmFncmFwaAA=';
const EXPECTED_FROM_Y_PROSEMIRROR: ProseMirrorJson = {
  type: 'doc',
  content: [
    { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Release notes' }] },
    {
      type: 'paragraph',
      content: [
        { type: 'text', text: 'Read ' },
        {
          type: 'text',
          marks: [
            {
              type: 'link',
              attrs: {
                href: 'https://example.com/docs',
                target: '_blank',
                rel: 'noopener noreferrer nofollow',
                class: null,
                title: null,
              },
            },
            { type: 'bold' },
          ],
          text: 'the docs',
        },
        { type: 'text', text: ' and ' },
        { type: 'text', marks: [{ type: 'code' }], text: 'run' },
        { type: 'hardBreak' },
        { type: 'text', text: 'then ' },
        { type: 'text', marks: [{ type: 'italic' }, { type: 'strike' }], text: 'ship' },
      ],
    },
    {
      type: 'bulletList',
      content: [
        {
          type: 'listItem',
          content: [
            { type: 'paragraph', content: [{ type: 'text', text: 'one' }] },
            {
              type: 'orderedList',
              attrs: { start: 3 },
              content: [
                { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'nested' }] }] },
              ],
            },
          ],
        },
      ],
    },
    {
      type: 'blockquote',
      content: [{ type: 'paragraph', content: [{ type: 'text', marks: [{ type: 'underline' }], text: 'quoted' }] }],
    },
    { type: 'codeBlock', attrs: { language: 'ts' }, content: [{ type: 'text', text: 'const a = `x`;\n' }] },
    { type: 'horizontalRule' },
    { type: 'paragraph' },
  ],
};

describe('projectDocument', () => {
  it('projects blocks, attributes and formatted text as ProseMirror JSON', () => {
    const doc = docOf(element('heading', { level: 2 }, new Y.XmlText()), element('paragraph', {}, new Y.XmlText()));
    textOf(doc, [0, 0], [['Title']]);
    textOf(
      doc,
      [1, 0],
      [['Hello '], ['bold', { bold: {} }], [' and '], ['linked', { link: { href: 'https://example.com' } }]],
    );

    expect(projectDocument(doc).content).toEqual({
      type: 'doc',
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Title' }] },
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Hello ' },
            { type: 'text', text: 'bold', marks: [{ type: 'bold' }] },
            { type: 'text', text: ' and ' },
            { type: 'text', text: 'linked', marks: [{ type: 'link', attrs: { href: 'https://example.com' } }] },
          ],
        },
      ],
    });
  });

  it('reads a document written by y-prosemirror exactly as ProseMirror serialises it', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Buffer.from(Y_PROSEMIRROR_UPDATE, 'base64'));

    expect(projectDocument(doc).content).toEqual(EXPECTED_FROM_Y_PROSEMIRROR);
  });

  it('strips the hash y-prosemirror appends to overlapping marks and keeps each of them', () => {
    const doc = docOf(element('paragraph', {}, new Y.XmlText()));
    textOf(doc, [0, 0], [['both', { 'comment--aB3x+9/=': { id: 1 }, 'comment--Zz09Zz09': { id: 2 } }]]);

    const [text] = projectDocument(doc).content.content![0]!.content!;
    expect(text!.marks).toEqual([
      { type: 'comment', attrs: { id: 1 } },
      { type: 'comment', attrs: { id: 2 } },
    ]);
  });

  it('keeps a double dash that is not a y-prosemirror hash in the mark name', () => {
    const doc = docOf(element('paragraph', {}, new Y.XmlText()));
    textOf(doc, [0, 0], [['x', { 'my--mark': {} }]]);

    expect(projectDocument(doc).content.content![0]!.content![0]!.marks).toEqual([{ type: 'my--mark' }]);
  });

  it('lists marks in schema order whatever order they were applied in', () => {
    const doc = docOf(element('paragraph', {}, new Y.XmlText()));
    textOf(doc, [0, 0], [['x', { italic: {}, strike: {}, bold: {}, link: { href: '/a' } }]]);

    const marks = projectDocument(doc).content.content![0]!.content![0]!.marks!.map((mark) => mark.type);
    expect(marks).toEqual(['link', 'bold', 'italic', 'strike']);
  });

  it('omits content and attrs that are empty', () => {
    const doc = docOf(element('horizontalRule', {}), element('paragraph', {}));

    expect(projectDocument(doc).content.content).toEqual([{ type: 'horizontalRule' }, { type: 'paragraph' }]);
  });

  it('projects an empty document as one empty paragraph, like editor.getJSON()', () => {
    expect(projectDocument(new Y.Doc())).toEqual({
      content: { type: 'doc', content: [{ type: 'paragraph' }] },
      text: '',
    });
  });

  it('gives plain text with a line per block, list item and hard break so words never join', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Buffer.from(Y_PROSEMIRROR_UPDATE, 'base64'));

    expect(projectDocument(doc).text).toBe(
      [
        'Release notes',
        'Read the docs and run',
        'then ship',
        'one',
        'nested',
        'quoted',
        'const a = `x`;\n',
        '',
        '',
      ].join('\n'),
    );
  });

  it('keeps unicode text intact', () => {
    const doc = docOf(element('paragraph', {}, new Y.XmlText()));
    textOf(doc, [0, 0], [['naïve café 日本語 '], ['😀👩‍👩‍👧', { bold: {} }]]);

    expect(projectDocument(doc).text).toBe('naïve café 日本語 😀👩‍👩‍👧');
  });

  it('stops descending past the nesting limit instead of overflowing the stack', () => {
    const doc = new Y.Doc();
    let parent: Y.XmlFragment | Y.XmlElement = doc.getXmlFragment(tiptapFragmentName);
    doc.transact(() => {
      for (let level = 0; level < 2_000; level++) {
        const list = new Y.XmlElement('bulletList');
        const item = new Y.XmlElement('listItem');
        parent.insert(0, [list]);
        list.insert(0, [item]);
        parent = item;
      }
    });

    const { content } = projectDocument(doc);
    let depth = 0;
    for (let node: ProseMirrorJson | undefined = content; node !== undefined; node = node.content?.[0]) depth++;
    expect(depth - 1).toBe(maxNestingDepth);
  });

  it('projects a large document in linear time', () => {
    const doc = new Y.Doc();
    const fragment = doc.getXmlFragment(tiptapFragmentName);
    const paragraphs = Array.from({ length: 20_000 }, () => new Y.XmlElement('paragraph'));
    fragment.insert(0, paragraphs);
    doc.transact(() => {
      for (const paragraph of paragraphs) {
        const text = new Y.XmlText();
        paragraph.insert(0, [text]);
        text.applyDelta([{ insert: 'some words ' }, { insert: 'in bold', attributes: { bold: {} } }]);
      }
    });

    const started = performance.now();
    const { content, text } = projectDocument(doc);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(content.content).toHaveLength(20_000);
    expect(text.length).toBe(20_000 * 'some words in bold\n'.length - 1);
  });

  it('reads the doc without changing it', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Buffer.from(Y_PROSEMIRROR_UPDATE, 'base64'));
    const before = Y.encodeStateAsUpdate(doc);
    projectDocument(doc);

    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });
});
