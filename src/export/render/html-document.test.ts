import { describe, expect, it } from 'vitest';
import { toHtml } from '../../content/html.ts';
import { toHtmlDocument } from './html-document.ts';
import { doc, link, paragraph, richDocument, text } from './test-support/sample-documents.ts';

describe('toHtmlDocument', () => {
  it('wraps the body in a complete document with doctype, charset, escaped title and stylesheet', () => {
    const html = toHtmlDocument('Plan & <notes>', doc(paragraph(text('Hi', 'bold'))));
    const head = html.slice(0, html.indexOf('<style>'));
    expect(head).toBe(
      [
        '<!doctype html>',
        '<html>',
        '<head>',
        '<meta charset="utf-8">',
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data: https: http:; base-uri 'none'; form-action 'none'">`,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>Plan &amp; &lt;notes&gt;</title>',
        '',
      ].join('\n'),
    );
    expect(html).toContain('@media print');
    expect(html.slice(html.indexOf('</style>'))).toBe(
      [
        '</style>',
        '</head>',
        '<body>',
        '<h1 class="document-title">Plan &amp; &lt;notes&gt;</h1>',
        '<main><p><strong>Hi</strong></p></main>',
        '</body>',
        '</html>',
        '',
      ].join('\n'),
    );
  });

  it('renders the body through the safe fragment renderer', () => {
    const content = richDocument();
    expect(toHtmlDocument('T', content)).toContain(`<main>${toHtml(content)}</main>`);
  });

  it('keeps script out of the title, the body and link targets', () => {
    const html = toHtmlDocument(
      '</title><script>alert(1)</script>',
      doc(paragraph(text('<img src=x onerror=alert(1)>'), text('x', link('javascript:alert(1)')))),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>');
  });

  it('allows only inline images in HTML meant for the PDF service, so it cannot fetch our network', () => {
    const html = toHtmlDocument('T', doc(), { remoteImages: false });
    expect(html).toContain('img-src data:;');
  });
});
