import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChromiumPdfService, startChromiumPdfService } from './render/test-support/chromium-pdf-service.ts';
import { readPdf } from './render/test-support/pdf-reader.ts';
import { longDocument, richDocument } from './render/test-support/sample-documents.ts';
import { createRenderer, type ExportRenderer } from './renderer.ts';

/** Rounded A4 in points, as Chromium writes it (594.96 × 841.92). */
const A4 = [595, 842];

describe('PDF export through a Gotenberg-style service on real Chromium', () => {
  let service: ChromiumPdfService;
  let renderer: ExportRenderer;

  beforeAll(async () => {
    service = await startChromiumPdfService();
    renderer = createRenderer({
      threads: 1,
      taskTimeoutMs: 20_000,
      externalPdfUrl: service.url,
      breaker: { callTimeoutMs: 20_000 },
    });
  });

  afterAll(async () => {
    await renderer?.close();
    await service?.stop();
  });

  it('prints our HTML export as an A4 PDF with the title, clickable links and "Page N of M" on every page', async () => {
    const file = await renderer.render({ format: 'pdf', title: 'Printed by Chromium', content: longDocument(3_000) });
    expect(file.contentType).toBe('application/pdf');
    const pdf = readPdf(file.bytes);
    expect(service.conversions).toBe(1);
    expect(pdf.title).toBe('Printed by Chromium');
    expect(pdf.pages).toBeGreaterThanOrEqual(4);
    // Chromium shows one glyph per operator: the page's text is its lines joined.
    const shown = pdf.pageTexts.map((text) => text.replace(/\n/g, ''));
    expect(shown[0]).toMatch(/^Printed by Chromium/);
    expect(shown.map((text) => /Page \d+ of \d+$/.exec(text)?.[0])).toEqual(
      shown.map((_, i) => `Page ${i + 1} of ${pdf.pages}`),
    );
    expect(pdf.links).toEqual(expect.arrayContaining(['https://example.com/guide/1', 'https://example.com/guide/2']));
    const mediaBox = /\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/.exec(
      Buffer.from(file.bytes).toString('latin1'),
    );
    expect(mediaBox?.slice(1, 3).map((size) => Math.round(Number(size)))).toEqual(A4);
    expect(renderer.breakerState()).toBe('closed');
    expect(renderer.breakerCounts()).toMatchObject({ successes: 1, failures: 0 });
  });

  it('keeps every StarterKit node printable (links survive, the document title is the PDF title)', async () => {
    const file = await renderer.render({ format: 'pdf', title: 'Rich', content: richDocument() });
    const pdf = readPdf(file.bytes);
    expect(pdf.pages).toBe(1);
    expect(pdf.title).toBe('Rich');
    expect(pdf.links).toEqual(['https://example.com/plan?a=1&b=2']);
    const shown = pdf.pageTexts[0]!.replace(/\n/g, '');
    for (const text of ['Quarterly plan', 'inline code', 'const answer = 42;', 'Quoted wisdom.', 'Unknown node text']) {
      expect(shown).toContain(text);
    }
  });
});
