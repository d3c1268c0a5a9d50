import { describe, expect, it } from 'vitest';
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';
import { EXPORT_FORMATS, RenderError } from '../ports.ts';
import { FILE_TYPES, renderFile } from './render-file.ts';
import { readPdf } from './test-support/pdf-reader.ts';
import {
  bullets,
  code,
  doc,
  heading,
  item,
  link,
  numbered,
  paragraph,
  quote,
  text,
} from './test-support/sample-documents.ts';
import { readZip } from './test-support/zip-reader.ts';

/** Content an editor would not produce but a stored document could hold. */
function hostileDocument(): ProseMirrorJson {
  let nested: ProseMirrorJson = bullets(item(paragraph(text('bottom'))));
  for (let i = 0; i < 25; i++) nested = i % 2 === 0 ? numbered(1, item(nested)) : bullets(item(quote(nested)));
  return doc(
    { type: 'heading', attrs: { level: '99"><x' }, content: [text('odd heading')] },
    { type: 'orderedList', attrs: { start: -5 }, content: [item(), item(code('x'))] },
    paragraph(text('a'.repeat(5_000))),
    paragraph(text(`https://example.com/${'b'.repeat(600)}`, link(`https://example.com/${'b'.repeat(600)}`))),
    paragraph(text('marks', { type: 'comment', attrs: { id: 1 } }, 'bold', 'bold', { type: 'link', attrs: {} })),
    paragraph(text('RTL \u202Eevil\u202C and zero\u200Bwidth, \u0000nul, tab\there')),
    { type: 'image', attrs: { src: 'javascript:alert(1)', alt: 'alt text' } },
    paragraph({ type: 'mention', attrs: { label: '@someone' } }),
    paragraph({ type: 'hardBreak' }, { type: 'hardBreak' }),
    heading(2, ''),
    code(''),
    {
      type: 'table',
      content: [{ type: 'tableRow', content: [{ type: 'tableCell', content: [paragraph(text('cell'))] }] }],
    },
    nested,
  );
}

describe('renderFile', () => {
  it.each(EXPORT_FORMATS)('renders hostile but valid content as %s without failing', async (format) => {
    const file = await renderFile({ format, title: 'Hostile', content: hostileDocument() });
    expect(file).toMatchObject(FILE_TYPES[format]);
    expect(file.bytes.byteLength).toBeGreaterThan(0);
    if (format === 'pdf') {
      const pdf = readPdf(file.bytes);
      const shown = pdf.pageTexts.join('\n');
      for (const expected of ['odd heading', 'cell', 'bottom', 'alt text', '@someone'])
        expect(shown).toContain(expected);
      expect(shown).toContain(`Page ${pdf.pages} of ${pdf.pages}`);
    }
    if (format === 'docx') {
      const body = readZip(file.bytes).get('word/document.xml')!;
      for (const expected of ['odd heading', 'cell', 'bottom', 'alt text', '@someone'])
        expect(body).toContain(expected);
    }
    if (format === 'html' || format === 'markdown') {
      const rendered = new TextDecoder().decode(file.bytes);
      expect(rendered).toContain('cell');
      expect(rendered).not.toContain('javascript:');
    }
  });

  it.each(['pdf', 'docx'] as const)('prints stray inline nodes among blocks as paragraphs in %s', async (format) => {
    const content = doc(
      paragraph(text('before')),
      text('stray text'),
      { type: 'mention', attrs: { label: '@someone' } },
      quote(text('quoted stray')),
      bullets(item(text('item stray'), paragraph(text('item paragraph')))),
      paragraph(text('after')),
    );
    const file = await renderFile({ format, title: 'Stray', content });
    const shown =
      format === 'pdf'
        ? readPdf(file.bytes).pageTexts.join('\n')
        : readZip(file.bytes)
            .get('word/document.xml')!
            .replace(/<[^>]+>/g, ' ');
    const order = ['before', 'stray text', '@someone', 'quoted stray', 'item stray', 'item paragraph', 'after'];
    const positions = order.map((expected) => shown.indexOf(expected));
    expect(positions.every((at) => at >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('rejects an unknown format and a malformed document permanently', async () => {
    const unknown = await renderFile({ format: 'rtf' as never, title: 'T', content: doc() }).catch((err) => err);
    expect(unknown).toBeInstanceOf(RenderError);
    expect(unknown).toMatchObject({ retryable: false, message: 'unknown export format "rtf"' });
    const malformed = await renderFile({
      format: 'pdf',
      title: 'T',
      content: { type: 'doc', content: {} } as never,
    }).catch((err) => err);
    expect(malformed).toMatchObject({
      retryable: false,
      message: 'document cannot be rendered: a doc node has non-array content',
    });
  });

  it('prints an untitled document as "Untitled" and cuts an overlong title', async () => {
    const untitled = await renderFile({ format: 'markdown', title: '  ', content: doc() });
    expect(new TextDecoder().decode(untitled.bytes)).toBe('# Untitled\n');
    const long = await renderFile({ format: 'html', title: 'x'.repeat(1_000), content: doc() });
    expect(new TextDecoder().decode(long.bytes)).toContain(`<title>${'x'.repeat(299)}…</title>`);
  });

  it('renders HTML for the PDF service without remote images', async () => {
    const image = { type: 'image', attrs: { src: 'https://internal.example/secret.png', alt: 'a' } };
    const print = await renderFile({ format: 'html', title: 'T', content: doc(image), forPrint: true });
    const download = await renderFile({ format: 'html', title: 'T', content: doc(image) });
    expect(new TextDecoder().decode(print.bytes)).toContain('img-src data:;');
    expect(new TextDecoder().decode(download.bytes)).toContain('img-src data: https: http:;');
  });
});
