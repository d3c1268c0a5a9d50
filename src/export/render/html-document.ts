/**
 * The HTML export: a complete standalone document (doctype, charset, title, a small print-friendly
 * stylesheet) around the safe fragment from src/content/html.ts. A Content-Security-Policy in the
 * file itself keeps a downloaded export from running or loading anything it should not.
 */
import { escapeHtml, toHtml } from '../../content/html.ts';
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';
import { type CommentNote, commentDate, noteSummary } from './comment-notes.ts';

export type HtmlDocumentOptions = {
  /**
   * Whether images may load from http(s). Off when the HTML goes to a headless browser on our
   * network (the external PDF service), so a document cannot make it fetch internal URLs.
   */
  remoteImages: boolean;
};

const stylesheet = `
:root { color-scheme: light; }
body { font: 11pt/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a; max-width: 46em; margin: 2em auto; padding: 0 1em; }
h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.4em 0 0.5em; break-after: avoid; }
h1.document-title { font-size: 2.2em; margin-top: 0; padding-bottom: 0.3em; border-bottom: 1px solid #ccc; }
p, ul, ol, blockquote, pre { margin: 0 0 0.8em; }
li > p { margin: 0.15em 0; }
blockquote { margin-left: 0; padding-left: 1em; border-left: 3px solid #ccc; color: #444; }
code, pre { font-family: "SFMono-Regular", Menlo, Consolas, "Courier New", monospace; font-size: 0.92em; }
code { background: #f3f3f3; padding: 0.1em 0.25em; border-radius: 3px; }
pre { background: #f3f3f3; padding: 0.75em 1em; white-space: pre-wrap; overflow-wrap: anywhere; break-inside: avoid; }
pre code { background: none; padding: 0; }
hr { border: 0; border-top: 1px solid #ccc; margin: 1.5em 0; }
a { color: #0b5cad; }
img { max-width: 100%; }
table { border-collapse: collapse; margin: 0 0 0.8em; width: 100%; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
th > p, td > p { margin: 0; }
ul[data-type="taskList"] { list-style: none; padding-left: 0.2em; }
ul[data-type="taskList"] > li { display: flex; gap: 0.5em; }
mark { background: #fff3a3; }
sup.comment-ref { font-size: 0.75em; line-height: 0; }
sup.comment-ref a { text-decoration: none; }
aside.comments { margin-top: 2.5em; padding-top: 1em; border-top: 1px solid #ccc; font-size: 0.92em; }
aside.comments ol { padding-left: 1.5em; }
aside.comments .comment-quote { font-style: italic; color: #444; margin-bottom: 0.3em; }
aside.comments ul { list-style: none; padding-left: 0; margin: 0 0 0.8em; }
aside.comments li > ul > li { margin: 0.2em 0; }
aside.comments time { color: #666; }
@page { size: A4; margin: 2cm 2cm 2.5cm; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }
`.trim();

function contentSecurityPolicy(options: HtmlDocumentOptions): string {
  const images = options.remoteImages ? 'data: https: http:' : 'data:';
  return `default-src 'none'; style-src 'unsafe-inline'; img-src ${images}; base-uri 'none'; form-action 'none'`;
}

/**
 * [E10] The threads as an aside after the document: one numbered note per thread (its marker in
 * the text links here, `↩` links back), with its quote, status and comments, all escaped.
 */
function commentsAside(notes: CommentNote[]): string {
  if (notes.length === 0) return '';
  const items = notes.map((note) => {
    const { quote, status } = noteSummary(note);
    const head = [quote, status].filter(Boolean).join(' ');
    const comments = note.thread.comments
      .map((c) => {
        const when = commentDate(c.createdAt);
        const time = when ? ` <time datetime="${escapeHtml(c.createdAt)}">${escapeHtml(when)}</time>` : '';
        const body = escapeHtml(c.body).replace(/\r\n?|\n/g, '<br>');
        return `<li><strong>${escapeHtml(c.author)}</strong>${time}: ${body}</li>`;
      })
      .join('');
    const back = note.anchored ? ` <a href="#comment-ref-${note.number}" aria-label="Back to the text">↩</a>` : '';
    return (
      `<li id="comment-${note.number}" value="${note.number}">` +
      `<p class="comment-quote">${escapeHtml(head)}${back}</p><ul>${comments}</ul></li>`
    );
  });
  return `<aside class="comments"><h2>Comments</h2><ol>${items.join('')}</ol></aside>`;
}

export function toHtmlDocument(
  title: string,
  content: ProseMirrorJson,
  options: HtmlDocumentOptions = { remoteImages: true },
  notes: CommentNote[] = [],
): string {
  const safeTitle = escapeHtml(title);
  return [
    '<!doctype html>',
    '<html>',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(options)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${safeTitle}</title>`,
    `<style>\n${stylesheet}\n</style>`,
    '</head>',
    '<body>',
    `<h1 class="document-title">${safeTitle}</h1>`,
    `<main>${toHtml(content)}</main>`,
    ...(notes.length > 0 ? [commentsAside(notes)] : []),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
