import { describe, expect, it } from 'vitest';
import { toDocx } from './docx.ts';
import { bullets, doc, item, link, numbered, paragraph, richDocument, text } from './test-support/sample-documents.ts';
import { readZip } from './test-support/zip-reader.ts';

async function unpack(title: string, content = richDocument()) {
  const files = readZip(await toDocx(title, content));
  return { files, body: files.get('word/document.xml')! };
}

/** The text of every paragraph with the given style, in order. */
function styled(body: string, style: string): string[] {
  const paragraphs = body.match(/<w:p>.*?<\/w:p>/gs) ?? [];
  return paragraphs
    .filter((p) => p.includes(`<w:pStyle w:val="${style}"/>`))
    .map((p) => [...p.matchAll(/<w:t[^>]*>([^<]*)<\/w:t>/g)].map(([, t]) => t).join(''));
}

describe('toDocx', () => {
  it('writes a Word package whose paragraphs use the real Title, heading, quote and code styles', async () => {
    const { files, body } = await unpack('Rich & <document>');
    expect([...files.keys()]).toEqual(
      expect.arrayContaining(['[Content_Types].xml', 'word/document.xml', 'word/styles.xml', 'word/numbering.xml']),
    );
    expect(styled(body, 'Title')).toEqual(['Rich &amp; &lt;document&gt;']);
    expect(styled(body, 'Heading1')).toEqual(['Quarterly plan']);
    expect(styled(body, 'Heading2')).toEqual(['Goals']);
    expect(styled(body, 'Heading3')).toEqual(['Steps']);
    expect(['Heading4', 'Heading5', 'Heading6'].map((style) => styled(body, style))).toEqual([
      ['Four'],
      ['Five'],
      ['Six'],
    ]);
    expect(styled(body, 'Quote')).toEqual(['Quoted wisdom.']);
    expect(styled(body, 'CodeBlock')).toEqual(['const answer = 42;console.log(answer &lt; 43);']);
    expect(body).toContain('<w:br/><w:t xml:space="preserve">console.log(answer &lt; 43);</w:t>');
    const styles = files.get('word/styles.xml')!;
    for (const id of [
      'Title',
      'Heading1',
      'Heading6',
      'Quote',
      'CodeBlock',
      'ListBullet',
      'ListNumber',
      'InlineCode',
    ]) {
      expect(styles).toContain(`w:styleId="${id}"`);
    }
    expect(styles).toMatch(/w:styleId="CodeBlock".*?w:ascii="Courier New"/s);
    expect(files.get('docProps/core.xml')).toContain('<dc:title>Rich &amp; &lt;document&gt;</dc:title>');
  });

  it('numbers lists with real numbering definitions, nested levels and each list restarting', async () => {
    const { files, body } = await unpack('Lists');
    expect(styled(body, 'ListBullet')).toEqual(['Ship export', 'PDF', 'DOCX', 'Keep saves fast']);
    expect(styled(body, 'ListNumber')).toEqual(['Render', 'Store', 'Sign']);
    const levels = [...body.matchAll(/<w:ilvl w:val="(\d)"\/><w:numId w:val="(\d+)"\/>/g)].map(([, l, n]) => [l, n]);
    // Ship export, PDF, DOCX, Keep saves fast | Render, Store, Sign: nested items one level down, in their own list.
    expect(levels.map(([level]) => level)).toEqual(['0', '1', '1', '0', '0', '0', '1']);
    expect(new Set(levels.map(([, id]) => id)).size).toBe(4);
    const numbering = files.get('word/numbering.xml')!;
    expect(numbering).toContain('<w:numFmt w:val="decimal"/>');
    expect(numbering).toContain('<w:numFmt w:val="bullet"/>');
    // The ordered list starts at 3, as in the document.
    expect(numbering).toMatch(
      /<w:lvl w:ilvl="0"[^>]*><w:start w:val="3"\/><w:numFmt w:val="decimal"\/><w:lvlText w:val="%1."\/>/,
    );
    for (const [, id] of levels) expect(numbering).toContain(`<w:num w:numId="${id}">`);
  });

  it('writes links as external hyperlinks and marks as run properties', async () => {
    const { files, body } = await unpack('Marks');
    const hyperlink = body.slice(body.indexOf('<w:hyperlink '), body.indexOf('</w:hyperlink>'));
    expect(hyperlink).toContain('<w:rStyle w:val="Hyperlink"/></w:rPr><w:t xml:space="preserve">link</w:t>');
    const relationship = /r:id="([^"]+)"/.exec(hyperlink)![1];
    expect(files.get('word/_rels/document.xml.rels')).toContain(
      `Id="${relationship}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.com/plan?a=1&amp;b=2" TargetMode="External"`,
    );
    const runWith = (property: string, word: string) =>
      new RegExp(`<w:r><w:rPr>(?:(?!</w:rPr>).)*${property}(?:(?!</w:rPr>).)*</w:rPr><w:t[^>]*>${word}</w:t>`, 's');
    expect(body).toMatch(runWith('<w:b/>', 'bold'));
    expect(body).toMatch(runWith('<w:i/>', 'italic'));
    expect(body).toMatch(runWith('<w:strike/>', 'struck'));
    expect(body).toMatch(runWith('<w:u w:val="single"/>', 'underlined'));
    expect(body).toMatch(runWith('<w:rStyle w:val="InlineCode"/>', 'inline code'));
    expect(body).toContain('<w:t xml:space="preserve">line one</w:t></w:r><w:r><w:br/></w:r>');
  });

  it('numbers pages in the footer', async () => {
    const { files } = await unpack('Footer');
    const footer = files.get('word/footer1.xml')!;
    expect(footer).toMatch(
      /Page .*<w:instrText[^>]*>PAGE<\/w:instrText>.* of .*<w:instrText[^>]*>NUMPAGES<\/w:instrText>/s,
    );
  });

  it('keeps relative links as text and drops characters XML cannot carry', async () => {
    const { body } = await unpack(
      'Odd',
      doc(
        paragraph(text('rel', link('/docs/1')), text('bad\u0001\uD800char')),
        bullets(item(numbered(1, item(paragraph(text('deep')))))),
      ),
    );
    expect(body).not.toContain('<w:hyperlink');
    expect(body).toContain('<w:t xml:space="preserve">bad\uFFFDchar</w:t>');
    // An item that opens with a nested list still gets its own bullet paragraph.
    expect(styled(body, 'ListBullet')).toEqual(['']);
    expect(styled(body, 'ListNumber')).toEqual(['deep']);
  });
});

describe('toDocx: tables, checklists and highlight [issue 13]', () => {
  const cell = (type: string, value: string) => ({ type, content: [paragraph(text(value))] });

  it('writes a real Word table with a repeating header row, task boxes and a highlighted run', async () => {
    const table = {
      type: 'table',
      content: [
        { type: 'tableRow', content: [cell('tableHeader', 'Name'), cell('tableHeader', 'Owner')] },
        { type: 'tableRow', content: [cell('tableCell', 'Launch plan'), { type: 'tableCell', content: [] }] },
      ],
    };
    const tasks = {
      type: 'taskList',
      content: [
        { type: 'taskItem', attrs: { checked: true }, content: [paragraph(text('Write brief'))] },
        { type: 'taskItem', attrs: { checked: false }, content: [paragraph(text('Ship it'))] },
      ],
    };
    const { body } = await unpack('Blocks', doc(table, tasks, paragraph(text('lit', 'highlight'))));
    expect(body.match(/<w:tbl>/g)).toHaveLength(1);
    expect(body.match(/<w:tr>/g)).toHaveLength(2);
    expect(body).toContain('<w:tblHeader/>');
    for (const word of ['Name', 'Owner', 'Launch plan']) expect(body).toContain(`>${word}</w:t>`);
    expect(body).toContain('☒ </w:t>');
    expect(body).toContain('☐ </w:t>');
    expect(body).toMatch(/<w:highlight w:val="yellow"\/>.*?lit<\/w:t>/s);
  });
});
