/**
 * The PDF export in every script [issue 13]: text read back out of the file with poppler's
 * pdftotext (Debian poppler-utils, as a reader would) for Latin beyond Western Europe, Greek,
 * Cyrillic, Hebrew and Arabic (right to left, Arabic shaped), CJK and emoji, never "?". Needs the
 * Debian fonts .ci/run installs (fonts-noto-core, fonts-noto-cjk, fonts-symbola): without them the
 * first test fails and says so.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { toPdf } from './pdf.ts';
import { segmentText, unicodeFontsAvailable } from './pdf-fonts.ts';
import { readPdf } from './test-support/pdf-reader.ts';
import { doc, heading, paragraph, text } from './test-support/sample-documents.ts';

function pdftotext(pdf: Uint8Array): string {
  return execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8');
}

describe('PDF export in every script [issue 13]', () => {
  it('has the Unicode fonts installed (fonts-noto-core, fonts-noto-cjk, fonts-symbola)', () => {
    expect(unicodeFontsAvailable()).toBe(true);
  });

  it('keeps every Latin, Greek, Cyrillic, Hebrew, Arabic and CJK character, titles and headings included', async () => {
    const samples = [
      'Łódź, Erdős, Dvořák, Şişli, ₹ 100',
      'Καλημέρα κόσμε',
      'Привет, мир',
      'שלום עולם',
      'مرحبا بالعالم',
      '日本語のテキスト 中文 한국어',
    ];
    const pdf = await toPdf(
      'Łódź 日本 — Привет',
      doc(heading(2, 'Заголовок Ελληνικά'), ...samples.map((s) => paragraph(text(s)))),
    );
    const read = pdftotext(pdf);
    expect(read).toContain('Łódź 日本 — Привет');
    expect(read).toContain('Заголовок Ελληνικά');
    for (const sample of samples) expect(read).toContain(sample);
    expect(read).not.toContain('?');
  });

  it('keeps marks on every script: bold Cyrillic, italic Greek, bold CJK', async () => {
    const pdf = await toPdf(
      'Marks',
      doc(paragraph(text('Жирный', 'bold'), text(' '), text('πλάγια', 'italic'), text(' '), text('太字', 'bold'))),
    );
    expect(pdftotext(pdf)).toContain('Жирный πλάγια 太字');
    const fonts = readPdf(pdf).fonts.join(' ');
    expect(fonts).not.toBe('');
  });

  it('draws emoji from an embedded font or as a visible box, never as "?"', async () => {
    const pdf = await toPdf('Emoji 😀', doc(paragraph(text('Launch 🚀 done 😀 ❤️ 👍🏽'))));
    const read = pdftotext(pdf);
    expect(read).toContain('Launch 🚀 done 😀');
    expect(read).not.toContain('?');
  });

  it('keeps every script inside code blocks too', async () => {
    const code = 'const greeting = "Привет, 世界"; // שלום\nreturn greeting;';
    const read = pdftotext(await toPdf('Code', doc({ type: 'codeBlock', content: [text(code)] })));
    expect(read).toContain('Привет, 世界');
    expect(read).toContain('return greeting;');
    expect(read).not.toContain('?');
  });

  it('puts a right-to-left phrase in one run, with the spaces around it outside', () => {
    const segments = segmentText('Hello שלום עולם 123', 'Helvetica', 'regular');
    expect(segments).toEqual([
      { text: 'Hello ', font: 'Helvetica' },
      { text: 'שלום עולם', font: 'Noto-Hebrew' },
      { text: ' 123', font: 'Helvetica' },
    ]);
  });

  it('keeps a word in one font rather than switching inside it', () => {
    expect(segmentText('Łódź', 'Helvetica', 'regular')).toEqual([{ text: 'Łódź', font: 'Noto-Sans' }]);
    expect(segmentText('plain café', 'Helvetica', 'regular')).toEqual([{ text: 'plain café', font: 'Helvetica' }]);
    expect(segmentText('Жирный', 'Helvetica-Bold', 'bold')).toEqual([{ text: 'Жирный', font: 'Noto-Sans-Bold' }]);
  });
});
