import { describe, expect, it } from 'vitest';
import { toPdf } from './pdf.ts';
import { readPdf } from './test-support/pdf-reader.ts';
import { doc, heading, longDocument, paragraph, richDocument, text } from './test-support/sample-documents.ts';

const allText = (pages: string[]) => pages.join('\n');

describe('toPdf', () => {
  it('renders every StarterKit node with the title, styled fonts, a clickable link and a page footer', async () => {
    const pdf = readPdf(await toPdf('Rich document', richDocument()));
    expect(pdf.pages).toBe(1);
    expect(pdf.title).toBe('Rich document');
    const lines = pdf.pageTexts[0]!.split('\n');
    expect(lines[0]).toBe('Rich document');
    for (const expected of [
      'Quarterly plan',
      'Goals',
      'Steps',
      'Four',
      'Five',
      'Six',
      'Quoted wisdom.',
      'Unknown node text',
    ]) {
      expect(lines).toContain(expected);
    }
    // Bullets by level, ordered lists from their start, nested numbering from 1.
    expect(lines).toEqual(
      expect.arrayContaining(['•', 'Ship export', '–', 'PDF', '3.', 'Render', '4.', 'Store', '1.', 'Sign']),
    );
    expect(lines).toEqual(expect.arrayContaining(['const answer = 42;', 'console.log(answer < 43);']));
    // A hard break starts a new line.
    expect(lines).toEqual(expect.arrayContaining(['line one', 'line two']));
    expect(lines.at(-1)).toBe('Page 1 of 1');
    expect(pdf.links).toEqual(['https://example.com/plan?a=1&b=2']);
    expect(pdf.fonts).toEqual(['Courier', 'Helvetica', 'Helvetica-Bold', 'Helvetica-Oblique']);
  });

  it('bookmarks every heading, nested under the nearest shallower one', async () => {
    const pdf = readPdf(
      await toPdf(
        'Outline',
        doc(heading(1, 'One'), heading(2, 'One.a'), heading(3, 'One.a.i'), heading(2, 'One.b'), heading(1, 'Twö')),
      ),
    );
    expect(pdf.bookmarks).toEqual(
      expect.arrayContaining([
        { title: 'One', parent: undefined },
        { title: 'One.a', parent: 'One' },
        { title: 'One.a.i', parent: 'One.a' },
        { title: 'One.b', parent: 'One' },
        { title: 'Twö', parent: undefined },
      ]),
    );
    expect(pdf.bookmarks).toHaveLength(5);
  });

  it('paginates a long document and numbers every page "Page N of M"', async () => {
    const pdf = readPdf(await toPdf('Long', longDocument(5_000)));
    expect(pdf.pages).toBeGreaterThanOrEqual(8);
    expect(pdf.pageTexts).toHaveLength(pdf.pages);
    pdf.pageTexts.forEach((page, i) => {
      expect(page.split('\n').at(-1)).toBe(`Page ${i + 1} of ${pdf.pages}`);
    });
    expect(pdf.links).toHaveLength(new Set(pdf.links).size);
  });

  it('can write uncompressed streams, which read the same', async () => {
    const compressed = readPdf(await toPdf('Long', longDocument(1_500)));
    const plain = readPdf(await toPdf('Long', longDocument(1_500), { compress: false }));
    expect(plain.pageTexts).toEqual(compressed.pageTexts);
    expect(plain.pages).toBeGreaterThanOrEqual(2);
  });

  it('keeps characters the standard fonts cannot show, in embedded fonts (pdf-scripts.test.ts reads them back)', async () => {
    const pdf = readPdf(await toPdf('Émoji 😀', doc(paragraph(text('日本語 naïve Łódź 😀')))));
    // Metadata strings are Unicode: the title keeps every character there.
    expect(pdf.title).toBe('Émoji 😀');
    expect(pdf.fonts.some((font) => !font.startsWith('Helvetica') && !font.startsWith('Courier'))).toBe(true);
    expect(allText(pdf.pageTexts)).not.toContain('?');
  });

  it('splits a code block taller than a page across pages', async () => {
    const lines = Array.from({ length: 150 }, (_, i) => `line ${i}`);
    const pdf = readPdf(await toPdf('Code', doc({ type: 'codeBlock', content: [text(lines.join('\n'))] })));
    expect(pdf.pages).toBeGreaterThanOrEqual(2);
    const shown = pdf.pageTexts.flatMap((page) => page.split('\n')).filter((line) => line.startsWith('line '));
    expect(shown).toEqual(lines);
  });

  it('renders an empty document as a title page', async () => {
    const pdf = readPdf(await toPdf('Empty', doc(paragraph())));
    expect(pdf.pages).toBe(1);
    expect(pdf.pageTexts[0]!.split('\n')).toEqual(['Empty', 'Page 1 of 1']);
  });
});

describe('toPdf: tables, checklists and the new marks [issue 13]', () => {
  const cell = (type: string, value: string) => ({ type, content: [paragraph(text(value))] });
  const table = {
    type: 'table',
    content: [
      { type: 'tableRow', content: [cell('tableHeader', 'Name'), cell('tableHeader', 'Owner')] },
      { type: 'tableRow', content: [cell('tableCell', 'Launch plan'), cell('tableCell', 'Ada')] },
    ],
  };
  const tasks = {
    type: 'taskList',
    content: [
      { type: 'taskItem', attrs: { checked: true }, content: [paragraph(text('Write brief'))] },
      { type: 'taskItem', attrs: { checked: false }, content: [paragraph(text('Ship it'))] },
    ],
  };

  it('prints every table cell and every task with its box', async () => {
    const marked = paragraph(
      text('lit', { type: 'highlight' }),
      text(' '),
      text('under', { type: 'underline' }),
      text(' '),
      text('gone', { type: 'strike' }),
    );
    const pdf = readPdf(await toPdf('Blocks', doc(table, tasks, marked)));
    const lines = allText(pdf.pageTexts).split('\n');
    for (const expected of ['Name', 'Owner', 'Launch plan', 'Ada', '[x]', 'Write brief', '[ ]', 'Ship it']) {
      expect(lines).toContain(expected);
    }
    expect(allText(pdf.pageTexts)).toContain('lit');
    expect(allText(pdf.pageTexts)).toContain('gone');
  });

  it('starts a new page for a row that does not fit, and keeps every row', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({
      type: 'tableRow',
      content: [cell('tableCell', `row ${i}`), cell('tableCell', `value ${i}`)],
    }));
    const pdf = readPdf(await toPdf('Long table', doc({ type: 'table', content: rows })));
    expect(pdf.pages).toBeGreaterThan(1);
    const lines = allText(pdf.pageTexts).split('\n');
    for (let i = 0; i < 120; i++) expect(lines).toContain(`row ${i}`);
  });
});
