/**
 * Importing files as new documents [I1]-[I3], on every backend: Word (built here with the `docx`
 * package, as Word writes it), Markdown, HTML and text become documents in the editor's schema,
 * searchable at once; oversize, unknown, unreadable and too-deep files get precise 4xx answers.
 */
import {
  AlignmentType,
  Document,
  HeadingLevel,
  ImageRun,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
} from 'docx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { noisyPng, png } from './support/image-fixtures.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

/** A Word file with a picture in a paragraph, as Word embeds it (word/media, a drawing). */
async function wordFileWithImage(picture: Buffer): Promise<Buffer> {
  const doc = new Document({
    sections: [
      {
        children: [
          new Paragraph('Before the chart'),
          new Paragraph({
            children: [
              new ImageRun({
                type: 'png',
                data: picture,
                transformation: { width: 20, height: 10 },
                altText: { name: 'Chart', description: 'Sales chart', title: 'Chart' },
              }),
            ],
          }),
          new Paragraph('After the chart'),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

/** A Word file with core properties, a heading, marks, a numbered list and a table. */
async function wordFile(): Promise<Buffer> {
  const doc = new Document({
    title: 'Quarterly Plan',
    numbering: {
      config: [
        { reference: 'steps', levels: [{ level: 0, format: 'decimal', text: '%1.', alignment: AlignmentType.START }] },
      ],
    },
    sections: [
      {
        children: [
          new Paragraph({ text: 'Goals', heading: HeadingLevel.HEADING_1 }),
          new Paragraph({
            children: [
              new TextRun('Ship '),
              new TextRun({ text: 'faster', bold: true }),
              new TextRun(' and '),
              new TextRun({ text: 'better', italics: true }),
            ],
          }),
          new Paragraph({ text: 'First step', numbering: { reference: 'steps', level: 0 } }),
          new Paragraph({ text: 'Second step', numbering: { reference: 'steps', level: 0 } }),
          new Table({
            rows: [
              new TableRow({
                children: [
                  new TableCell({ children: [new Paragraph('Owner')] }),
                  new TableCell({ children: [new Paragraph('Łódź café')] }),
                ],
              }),
            ],
          }),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

type Json = {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  content?: Json[];
  marks?: { type: string }[];
};

describe.each(backends)('importing files as documents [$name]', (backend) => {
  let t: TestApp;
  let owner: TestSession;
  let workspaceId: string;

  beforeAll(async () => {
    t = await startTestApp(backend, { IMPORT_MAX_BYTES: '65536', IMAGE_MAX_BYTES: '4096' });
    owner = await t.signUp('importer');
    const ws = await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'Imports' } });
    workspaceId = ws.json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const importFile = (name: string, body: Buffer | string, headers: Record<string, string> = {}, query = '') =>
    t.app.server.inject({
      method: 'POST',
      url: `/api/v1/workspaces/${workspaceId}/documents/import?name=${encodeURIComponent(name)}${query}`,
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/octet-stream', ...headers },
      payload: body,
    });
  const contentOf = async (id: string): Promise<Json> => {
    const res = await t.request('GET', `/api/v1/documents/${id}/content`, { token: owner.token });
    expect(res.statusCode).toBe(200);
    return res.json().content as Json;
  };

  it('[I1] a Word file becomes a document: its own title, heading, marks, list and table', async () => {
    const res = await importFile('plan.docx', await wordFile());
    expect(res.statusCode, res.body).toBe(201);
    const doc = res.json();
    expect(doc).toMatchObject({ title: 'Quarterly Plan', access: 'owner', workspaceId });
    const content = await contentOf(doc.id);
    const types = content.content?.map((n) => n.type);
    expect(types).toEqual(['heading', 'paragraph', 'orderedList', 'table']);
    expect(content.content?.[1]?.content).toEqual([
      { type: 'text', text: 'Ship ' },
      { type: 'text', text: 'faster', marks: [{ type: 'bold' }] },
      { type: 'text', text: ' and ' },
      { type: 'text', text: 'better', marks: [{ type: 'italic' }] },
    ]);
    expect(content.content?.[2]?.content).toHaveLength(2);
    const cell = content.content?.[3]?.content?.[0]?.content?.[1];
    expect(cell).toMatchObject({
      type: 'tableCell',
      content: [{ type: 'paragraph', content: [{ text: 'Łódź café' }] }],
    });
  });

  it('[I4] a picture in a Word file becomes an uploaded image of the new document, served like an upload', async () => {
    const picture = png(20, 10, [10, 120, 200]);
    const res = await importFile('chart.docx', await wordFileWithImage(picture));
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    const content = await contentOf(id);
    expect(content.content?.map((n) => n.type)).toEqual(['paragraph', 'image', 'paragraph']);
    const image = content.content?.[1];
    expect(image?.attrs?.alt).toBe('Sales chart');
    const src = String(image?.attrs?.src);
    expect(src).toMatch(new RegExp(`^/api/v1/documents/${id}/images/[0-9a-f-]{36}$`));
    const list = await t.request('GET', `/api/v1/documents/${id}/images`, { token: owner.token });
    expect(list.json().items).toMatchObject([
      { url: src, contentType: 'image/png', size: picture.byteLength, width: 20 },
    ]);
    const bytes = await t.app.server.inject({
      method: 'GET',
      url: src,
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(bytes.statusCode).toBe(200);
    expect(bytes.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(bytes.rawPayload, picture)).toBe(0);
  });

  it('[I4] data: images in HTML and Markdown are uploaded; one over the size limit or not an image becomes a note', async () => {
    const small = png(4, 4).toString('base64');
    const big = noisyPng(48, 48, 7).toString('base64'); // over the suite's 4 KiB IMAGE_MAX_BYTES
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').toString(
      'base64',
    );
    const html =
      `<p>Logo <img src="data:image/png;base64,${small}" alt="Logo"> inline</p>` +
      `<p><img src="data:image/png;base64,${big}"></p><p><img src="data:image/svg+xml;base64,${svg}"></p>` +
      '<p><img src="https://example.com/remote.png" alt="remote"></p>';
    const res = await importFile('page.html', html);
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    const content = await contentOf(id);
    const texts = (n: Json) => n.content?.map((c) => c.text).join('');
    expect(content.content?.map((n) => n.type)).toEqual(['paragraph', 'image', 'paragraph', 'paragraph', 'paragraph']);
    expect(texts(content.content![0]!)).toBe('Logo');
    expect(content.content?.[1]?.attrs).toMatchObject({ alt: 'Logo' });
    expect(texts(content.content![2]!)).toBe('inline');
    expect(texts(content.content![3]!)).toMatch(
      /^\[Image 2 was not imported: it is \d+ KiB, and images may be at most 4 KiB\.\]$/,
    );
    expect(texts(content.content![4]!)).toBe(
      '[Image 3 was not imported: only PNG, JPEG, GIF and WebP images can be added.]',
    );
    const list = await t.request('GET', `/api/v1/documents/${id}/images`, { token: owner.token });
    expect(list.json().items).toHaveLength(1);

    const md = await importFile('notes.md', `# Notes\n\n![Logo](data:image/png;base64,${small})\n`);
    expect(md.statusCode, md.body).toBe(201);
    const mdContent = await contentOf(md.json().id);
    expect(mdContent.content?.map((n) => n.type)).toEqual(['image']);
    expect(String(mdContent.content?.[0]?.attrs?.src)).toContain(`/documents/${md.json().id}/images/`);
  });

  it('[I1] Markdown: a leading # heading becomes the title; lists, tasks, code and links arrive; search finds it', async () => {
    const md =
      '# Launch notes\n\nSome **bold** zanzibarword and [a link](https://example.com).\n\n- [x] done\n- [ ] todo\n\n```js\nlet a = 1;\n```\n';
    const res = await importFile('notes.md', md);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().title).toBe('Launch notes');
    const content = await contentOf(res.json().id);
    expect(content.content?.map((n) => n.type)).toEqual(['paragraph', 'taskList', 'codeBlock']);
    expect(content.content?.[1]?.content?.map((i) => i.attrs?.checked)).toEqual([true, false]);
    expect(content.content?.[2]).toMatchObject({ attrs: { language: 'js' }, content: [{ text: 'let a = 1;' }] });
    const hits = await t.request('GET', `/api/v1/search?q=zanzibarword&workspaceId=${workspaceId}`, {
      token: owner.token,
    });
    expect(hits.json().items.map((h: { id: string }) => h.id)).toContain(res.json().id);
  });

  it('[I1] HTML is sanitized to the schema; text becomes paragraphs; the file name is the last-resort title', async () => {
    const html = await importFile(
      'page.html',
      '<html><head><title>x</title><script>alert(1)</script></head><body><h2>Hi</h2><p onclick="x">a <a href="javascript:alert(1)">b</a></p></body></html>',
    );
    expect(html.statusCode, html.body).toBe(201);
    expect(html.json().title).toBe('page');
    expect((await contentOf(html.json().id)).content).toEqual([
      { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Hi' }] },
      { type: 'paragraph', content: [{ type: 'text', text: 'a b' }] },
    ]);
    const text = await importFile('todo list.txt', 'first line\nsecond line\n\nnext paragraph\n');
    expect(text.statusCode).toBe(201);
    expect(text.json().title).toBe('todo list');
    expect((await contentOf(text.json().id)).content).toEqual([
      {
        type: 'paragraph',
        content: [{ type: 'text', text: 'first line' }, { type: 'hardBreak' }, { type: 'text', text: 'second line' }],
      },
      { type: 'paragraph', content: [{ type: 'text', text: 'next paragraph' }] },
    ]);
  });

  it('[I1] the format can come from `format` or the media type when the name has no extension', async () => {
    const res = await importFile('README', '# Readme title\n\ntext', { 'content-type': 'text/markdown' });
    expect(res.statusCode).toBe(201);
    expect(res.json().title).toBe('Readme title');
    const forced = await importFile('data.bin', '<p>hello</p>', {}, '&format=html');
    expect(forced.statusCode).toBe(201);
  });

  it('[I2] a retried import with the same Idempotency-Key creates one document', async () => {
    const key = { 'idempotency-key': 'import-retry-1' };
    const first = await importFile('once.md', 'hello', key);
    const again = await importFile('once.md', 'hello', key);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    const other = await importFile('once.md', 'another file', key);
    expect(other.statusCode).toBe(422);
  });

  it('[I3] refuses oversize (413), unknown (415), unreadable and too-deep files (422) with problem+json', async () => {
    const cases: [Promise<Awaited<ReturnType<typeof importFile>>>, number, string][] = [
      [importFile('big.txt', 'x'.repeat(70_000)), 413, ''],
      [importFile('photo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47])), 415, 'unsupported_media_type'],
      [importFile('broken.docx', 'this is not a zip file'), 422, 'unreadable_file'],
      [importFile('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])), 422, 'unreadable_file'],
      [importFile('deep.html', `${'<div>'.repeat(2_000)}x`), 422, 'too_deeply_nested'],
      [
        importFile(
          'lists.md',
          `${'  '.repeat(0)}${Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}- x`).join('\n')}`,
        ),
        422,
        'too_deeply_nested',
      ],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      if (code) expect(res.json().type).toContain(code);
    }
    const list = await t.request('GET', `/api/v1/workspaces/${workspaceId}/documents?limit=100`, {
      token: owner.token,
    });
    const titles = list.json().items.map((d: { title: string }) => d.title);
    for (const refused of ['big', 'photo', 'broken', 'latin1', 'deep', 'lists']) expect(titles).not.toContain(refused);
  });
});
