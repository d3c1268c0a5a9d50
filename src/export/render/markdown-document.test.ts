import { describe, expect, it } from 'vitest';
import { toMarkdownDocument } from './markdown-document.ts';
import { doc, paragraph, richDocument, text } from './test-support/sample-documents.ts';

describe('toMarkdownDocument', () => {
  it('renders the title as a level-1 heading followed by every StarterKit node', () => {
    expect(toMarkdownDocument('Plan & <notes> #1', richDocument())).toBe(
      [
        '# Plan & \\<notes> #1',
        '# Quarterly plan',
        'Plain, **bold**, *italic*, ~~struck~~, underlined, `inline code` and a [link](https://example.com/plan?a=1&b=2).',
        '## Goals',
        '- Ship export\n  - PDF\n  - DOCX\n- Keep saves fast',
        '### Steps',
        '3. Render\n4. Store\n   1. Sign',
        '> Quoted wisdom.',
        '```ts\nconst answer = 42;\nconsole.log(answer < 43);\n```',
        '***',
        'line one\\\nline two',
        '#### Four',
        '##### Five',
        '###### Six',
        'Unknown node text\n',
      ].join('\n\n'),
    );
  });

  it('escapes a title that looks like Markdown so it reads back literally', () => {
    expect(toMarkdownDocument('*not* [a](link) ##', doc(paragraph(text('x'))))).toBe(
      '# \\*not\\* \\[a\\](link) \\##\n\nx\n',
    );
  });
});
