/**
 * Images in exports (docs/spec/images.md [IM6.2]), read back from the files: the PDF holds an
 * image XObject per PNG/JPEG (poppler's pdfimages lists them, scaled to the text width), the .docx
 * carries the pictures in word/media with their alt text, HTML and Markdown inline them as data:
 * URLs; what a format cannot embed prints its alt text.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { GIF_1X1, JPEG_1X1, png, WEBP_1X1 } from '../../../test/support/image-fixtures.ts';
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';
import { type ImageSource, inlineImages } from '../inline-images.ts';
import { renderFile } from './render-file.ts';
import { readZip } from './test-support/zip-reader.ts';

const DOC = '0190a8f4-9d1c-7c3e-8a5b-2f1e3d4c5b6a';
const OTHER_DOC = '0190a8f4-9d1c-7c3e-8a5b-2f1e3d4c5b6b';
const id = (n: number) => `0190a8f4-0000-7000-8000-00000000000${n}`;
const url = (doc: string, n: number) => `/api/v1/documents/${doc}/images/${id(n)}`;
const dataUrl = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;

/** A 1600 × 400 PNG (wider than any page), a JPEG, a GIF and a WebP, each with alt text. */
const WIDE = png(1600, 400, [20, 120, 200]);
function documentWithImages(): ProseMirrorJson {
  return {
    type: 'doc',
    content: [
      { type: 'paragraph', content: [{ type: 'text', text: 'Photos from the launch' }] },
      { type: 'image', attrs: { src: dataUrl('image/png', WIDE), alt: 'Wide banner' } },
      { type: 'image', attrs: { src: dataUrl('image/jpeg', JPEG_1X1), alt: 'Tiny photo' } },
      { type: 'image', attrs: { src: dataUrl('image/gif', GIF_1X1), alt: 'Spinner' } },
      { type: 'image', attrs: { src: dataUrl('image/webp', WEBP_1X1), alt: 'Modern format' } },
    ],
  };
}

function pdfimages(pdf: Uint8Array): { width: number; height: number; type: string }[] {
  const out = execFileSync('pdfimages', ['-list', '-'], { input: pdf }).toString('utf8');
  // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
  return out
    .split('\n')
    .slice(2)
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols[2] === 'image')
    .map((cols) => ({ width: Number(cols[3]), height: Number(cols[4]), type: cols[8] ?? '' }));
}

function pdftotext(pdf: Uint8Array): string {
  return execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8');
}

describe('images in exports [IM6.2]', () => {
  it('PDF: PNG and JPEG are embedded image XObjects, the wide one scaled to the text width; GIF and WebP print their alt text', async () => {
    const file = await renderFile({ format: 'pdf', title: 'Album', content: documentWithImages() });
    const images = pdfimages(file.bytes);
    expect(images.map((i) => `${i.width}x${i.height}`)).toEqual(expect.arrayContaining(['1600x400', '1x1']));
    // The wide image is drawn at the text width: its effective resolution is above 96 ppi.
    const list = execFileSync('pdfimages', ['-list', '-'], { input: file.bytes }).toString('utf8');
    const wide = list.split('\n').find((l) => /\s1600\s+400\s/.test(l)) ?? '';
    expect(Number(wide.trim().split(/\s+/)[12])).toBeGreaterThan(96);
    const text = pdftotext(file.bytes);
    expect(text).toContain('Photos from the launch');
    expect(text).toContain('Spinner');
    expect(text).toContain('Modern format');
    expect(text).not.toContain('Wide banner');
  });

  it('Word: PNG, JPEG and GIF are pictures in word/media with their alt text; WebP prints its alt text', async () => {
    const file = await renderFile({ format: 'docx', title: 'Album', content: documentWithImages() });
    const zip = readZip(file.bytes);
    const media = [...zip.keys()].filter((name) => name.startsWith('word/media/'));
    expect(media.length).toBe(3);
    const body = zip.get('word/document.xml') ?? '';
    expect(body).toContain('descr="Wide banner"');
    expect(body).toContain('descr="Tiny photo"');
    expect(body).toContain('Modern format');
    // 1600 px is scaled to the 6.5 in column: 624 px = 5,943,600 EMU wide.
    expect(body).toMatch(/<wp:extent cx="5943600" cy="1485900"\/>/);
  });

  it('HTML and Markdown carry the images inline as data: URLs with their alt text', async () => {
    const html = new TextDecoder().decode(
      (await renderFile({ format: 'html', title: 'Album', content: documentWithImages() })).bytes,
    );
    expect(html).toContain(`<img src="data:image/png;base64,${WIDE.toString('base64')}" alt="Wide banner">`);
    const md = new TextDecoder().decode(
      (await renderFile({ format: 'markdown', title: 'Album', content: documentWithImages() })).bytes,
    );
    expect(md).toContain(`![Wide banner](data:image/png;base64,${WIDE.toString('base64')})`);
  });

  it("inlineImages reads only the exported document's own images, within the budget", async () => {
    const reads: string[] = [];
    const source: ImageSource = {
      async read(documentId, imageId) {
        reads.push(`${documentId}/${imageId}`);
        if (imageId === id(3)) return null;
        return { bytes: png(2, 2, [1, 2, 3], Number(imageId.at(-1))), contentType: 'image/png' };
      },
    };
    const content: ProseMirrorJson = {
      type: 'doc',
      content: [
        { type: 'image', attrs: { src: url(DOC, 1), alt: 'mine' } },
        { type: 'blockquote', content: [{ type: 'image', attrs: { src: url(DOC, 2), alt: 'nested' } }] },
        { type: 'image', attrs: { src: url(DOC, 3), alt: 'gone' } },
        { type: 'image', attrs: { src: url(OTHER_DOC, 4), alt: 'not mine' } },
        { type: 'image', attrs: { src: 'https://example.com/x.png', alt: 'remote' } },
      ],
    };
    const out = await inlineImages(content, DOC, source);
    const srcs = JSON.stringify(out);
    expect(reads.sort()).toEqual([`${DOC}/${id(1)}`, `${DOC}/${id(2)}`, `${DOC}/${id(3)}`]);
    expect(srcs.match(/data:image\/png;base64,/g)?.length).toBe(2);
    expect(srcs).toContain(url(DOC, 3));
    expect(srcs).toContain(url(OTHER_DOC, 4));
    expect(srcs).toContain('https://example.com/x.png');

    const tight = await inlineImages(
      { type: 'doc', content: [{ type: 'image', attrs: { src: url(DOC, 1) } }] },
      DOC,
      source,
      10,
    );
    expect(JSON.stringify(tight)).not.toContain('data:');
  });
});
