/**
 * Comment threads in exported files [E10], from a real Y.Doc: anchors made as the editor makes
 * them, resolved into marks the way the export's rebuild does (comment-ranges.ts + projection),
 * then rendered by each format and read back as a reader would — word/comments.xml and
 * document.xml from the DOCX, pdftotext for the PDF, the Markdown and HTML text.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { anchorInType } from '../../content/comment-anchors.ts';
import { markCommentRanges } from '../../content/comment-ranges.ts';
import { projectDocument } from '../../content/projection.ts';
import type { ExportThread, RenderInput } from '../ports.ts';
import { renderFile } from './render-file.ts';
import { readZip } from './test-support/zip-reader.ts';

const FIRST = 'The quarterly plan needs a budget review before Friday.';
const SECOND = 'Marketing owns the launch <checklist> & timeline.';
const GONE = 'This sentence will be deleted.';

const at = (iso: string) => new Date(iso).toISOString();

/** A document of three paragraphs and four threads: one word, one across two paragraphs, one on deleted text, one resolved. */
function fixture() {
  const doc = new Y.Doc();
  const fragment = doc.getXmlFragment('default');
  const texts = [FIRST, SECOND, GONE].map((value) => {
    const p = new Y.XmlElement('paragraph');
    const t = new Y.XmlText(value);
    p.insert(0, [t]);
    return { p, t };
  });
  fragment.insert(
    0,
    texts.map((x) => x.p),
  );
  const [first, second, gone] = texts.map((x) => x.t) as [Y.XmlText, Y.XmlText, Y.XmlText];
  const range = (t: Y.XmlText, value: string, word: string) =>
    anchorInType(t, value.indexOf(word), value.indexOf(word) + word.length);
  const across = {
    start: anchorInType(first, FIRST.indexOf('before Friday'), FIRST.length).start,
    end: anchorInType(second, 0, 'Marketing'.length).end,
  };
  const threads: ExportThread[] = [
    {
      id: 'thread-budget',
      anchor: range(first, FIRST, 'budget review'),
      quote: 'budget review',
      resolved: false,
      comments: [
        { author: 'Ann Example', body: 'Which budget?\nThe Q3 one?', createdAt: at('2026-12-06T10:00:00Z') },
        { author: 'Bob Reply', body: 'Yes, Q3 <b>only</b>.', createdAt: at('2026-12-06T10:05:00Z') },
      ],
    },
    {
      id: 'thread-across',
      anchor: across,
      quote: 'before Friday. Marketing',
      resolved: false,
      comments: [{ author: 'Cy Span', body: 'Spans two paragraphs', createdAt: at('2026-12-06T11:00:00Z') }],
    },
    {
      id: 'thread-gone',
      anchor: range(gone, GONE, 'deleted'),
      quote: 'will be deleted',
      resolved: false,
      comments: [{ author: 'Dee Gone', body: 'Orphaned remark', createdAt: at('2026-12-06T12:00:00Z') }],
    },
    {
      id: 'thread-resolved',
      anchor: range(second, SECOND, 'timeline'),
      quote: 'timeline',
      resolved: true,
      comments: [{ author: 'Eve Done', body: 'Settled', createdAt: at('2026-12-06T13:00:00Z') }],
    },
  ];
  // The third paragraph goes after the threads were made: its thread is now on deleted text.
  fragment.delete(2, 1);
  const rebuilt = new Y.Doc();
  Y.applyUpdate(rebuilt, Y.encodeStateAsUpdate(doc));
  const marked = markCommentRanges(
    rebuilt,
    threads.map((t) => ({ key: t.id, ...t.anchor })),
  );
  return { content: projectDocument(rebuilt).content, threads, marked };
}

async function render(format: RenderInput['format'], threads?: ExportThread[]) {
  const { content, threads: all } = fixture();
  const file = await renderFile({ format, title: 'Plan', content, comments: threads ?? all });
  return file.bytes;
}

const pdftotext = (pdf: Uint8Array) =>
  execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8');

describe('comments in exports [E10]', () => {
  it('[E10] marks the live anchors on their text (across paragraphs too) and none on deleted text', () => {
    const { content, marked } = fixture();
    expect([...marked].sort()).toEqual(['thread-across', 'thread-budget', 'thread-resolved']);
    const marks = JSON.stringify(content);
    expect(marks).toContain('"text":"budget review","marks":[{"type":"comment","attrs":{"thread":"thread-budget"}}]');
    expect(marks).toContain('"text":"Marketing","marks":[{"type":"comment","attrs":{"thread":"thread-across"}}]');
  });

  it('[E10] DOCX: real Word comments on their text, replies threaded, the resolved one done, deleted text at the end', async () => {
    const zip = readZip(await render('docx'));
    const comments = zip.get('word/comments.xml')!;
    const body = zip.get('word/document.xml')!;
    // Each comment: author, initials, its text (escaped), one w:comment per comment of a thread.
    expect(comments).toMatch(
      /<w:comment w:id="0" w:initials="AE" w:author="Ann Example" w:date="2026-12-06T10:00:00.000Z">/,
    );
    expect(comments).toContain('Which budget?');
    expect(comments).toContain('The Q3 one?');
    expect(comments).toMatch(/w:id="1"[^>]*w:author="Bob Reply"/);
    expect(comments).toContain('Yes, Q3 &lt;b&gt;only&lt;/b&gt;.');
    // The reply is threaded under the first comment; the resolved thread is done.
    const extended = zip.get('word/commentsExtended.xml')!;
    expect(extended).toMatch(/w15:paraIdParent=/);
    expect(extended).toMatch(/w15:done="1"/);
    // Anchors: the range marks sit around exactly the commented text.
    const plain = body.replace(/<w:t[^>]*>/g, '').replace(/<\/w:t>/g, '');
    expect(plain).toMatch(
      /<w:commentRangeStart w:id="0"\/><w:commentRangeStart w:id="1"\/><w:r>(<w:rPr>.*?<\/w:rPr>)?budget review<\/w:r><w:commentRangeEnd w:id="0"\/>/,
    );
    expect(plain).toMatch(
      /<w:commentRangeEnd w:id="0"\/><w:commentRangeEnd w:id="1"\/><w:r><w:commentReference w:id="0"\/><\/w:r><w:r><w:commentReference w:id="1"\/><\/w:r>/,
    );
    // Across paragraphs: it starts in the first paragraph and ends in the second.
    const paragraphs = plain.match(/<w:p>.*?<\/w:p>/gs) ?? [];
    const startIn = paragraphs.findIndex((p) => p.includes('<w:commentRangeStart w:id="2"/>'));
    const endIn = paragraphs.findIndex((p) => p.includes('<w:commentRangeEnd w:id="2"/>'));
    expect(paragraphs[startIn]).toContain('before Friday.');
    expect(paragraphs[endIn]).toMatch(/Marketing<\/w:r><w:commentRangeEnd w:id="2"\/>/);
    expect(endIn).toBe(startIn + 1);
    // The thread on deleted text (Word ids run on over every comment: 0-1, 2, 3, 4) is anchored on its quote at the end.
    expect(plain).toContain('Comments on deleted text');
    expect(plain).toMatch(
      /<w:commentRangeStart w:id="4"\/><w:r>.*?“will be deleted”<\/w:r><w:commentRangeEnd w:id="4"\/>/s,
    );
    expect(comments).toContain('Orphaned remark');
  });

  it('[E10] PDF: a numbered marker after each range and a Comments section with quotes, authors, replies', async () => {
    const text = pdftotext(await render('pdf')).replace(/\s+/g, ' ');
    expect(text).toContain('budget review[1] before Friday.');
    expect(text).toContain('Marketing[2] owns');
    expect(text).toContain('timeline[3]');
    expect(text).toContain('Comments');
    expect(text).toContain('[1] “budget review”');
    expect(text).toContain('Ann Example · 2026-12-06 10:00 UTC: Which budget? The Q3 one?');
    expect(text).toContain('Bob Reply · 2026-12-06 10:05 UTC: Yes, Q3 <b>only</b>.');
    expect(text).toContain('[3] “timeline” (resolved)');
    expect(text).toContain('[4] “will be deleted” (on deleted text)');
    expect(text).toContain('Orphaned remark');
  });

  it('[E10] Markdown: footnote references after the text and one footnote per thread', async () => {
    const md = new TextDecoder().decode(await render('markdown'));
    expect(md).toContain('budget review[^1] before Friday.');
    expect(md).toContain('Marketing[^2] owns');
    expect(md).toContain('[^1]: “budget review”');
    expect(md).toContain('    **Ann Example** · 2026-12-06 10:00 UTC: Which budget?\\\n    The Q3 one?');
    expect(md).toContain('    **Bob Reply** · 2026-12-06 10:05 UTC: Yes, Q3 \\<b>only\\</b>.');
    expect(md).toContain('[^4]: “will be deleted” (on deleted text)');
  });

  it('[E10] HTML: linked markers and an aside of escaped notes', async () => {
    const html = new TextDecoder().decode(await render('html'));
    expect(html).toContain(
      'budget review<sup class="comment-ref" id="comment-ref-1"><a href="#comment-1">[1]</a></sup>',
    );
    expect(html).toContain('<aside class="comments"><h2>Comments</h2><ol><li id="comment-1" value="1">');
    expect(html).toContain(
      '<strong>Bob Reply</strong> <time datetime="2026-12-06T10:05:00.000Z">2026-12-06 10:05 UTC</time>: Yes, Q3 &lt;b&gt;only&lt;/b&gt;.',
    );
    expect(html).toContain('Which budget?<br>The Q3 one?');
    expect(html).toContain(
      '<li id="comment-4" value="4"><p class="comment-quote">“will be deleted” (on deleted text)</p>',
    );
    expect(html).not.toContain('<b>only</b>');
  });

  it('[E10] without threads nothing changes: no markers, no section, and a stray comment mark prints nothing', async () => {
    const { content } = fixture();
    for (const format of ['pdf', 'markdown', 'html'] as const) {
      const bytes = (await renderFile({ format, title: 'Plan', content })).bytes;
      const text = format === 'pdf' ? pdftotext(bytes) : new TextDecoder().decode(bytes);
      expect(text, format).not.toContain('[1]');
      expect(text, format).not.toContain('Comments');
    }
    const zip = readZip((await renderFile({ format: 'docx', title: 'Plan', content })).bytes);
    expect(zip.has('word/comments.xml') && zip.get('word/comments.xml')!.includes('<w:comment ')).toBe(false);
  });
});
