/// <reference lib="dom" />
/**
 * Faithful paste [issue 13]: the clipboard corpus in test/fixtures/clipboard (HTML as Google
 * Docs, Word and a web page put it on the clipboard, and Markdown text) goes through
 * web/src/editor/paste-html.ts in real Chromium, on a page whose CSP forbids inline styles as the
 * app's does, and the structure that comes out is what the editor's schema must read.
 */
import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { marked } from 'marked';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { looksLikeMarkdown } from '../web/src/editor/paste-markdown.ts';
import { launchBrowser } from './support/browser.ts';

const ROOT = join(import.meta.dirname, '..');
const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/clipboard', name), 'utf8');

const moduleSource = `${stripTypeScriptTypes(readFileSync(join(ROOT, 'web/src/editor/paste-html.ts'), 'utf8'))}
window.transformPastedHtml = transformPastedHtml;
window.pasteReady = true;`;

/** The app's CSP forbids inline styles and inline event handlers; the scripts here pass by nonce. */
const PAGE = `<!doctype html><html><head>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-paste'; style-src 'self'; img-src 'none'">
</head><body><script nonce="paste">
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));
</script><script nonce="paste" type="module">${moduleSource}</script></body></html>`;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setContent(PAGE);
  await page.waitForFunction(() => (window as unknown as { pasteReady?: boolean }).pasteReady === true);
});

afterAll(async () => {
  await browser?.close();
});

type Result = { html: string; outline: string; violations: string[]; pasted: boolean };

/** Transforms in the page and describes the result as `tag(children)` with text in quotes. */
async function paste(html: string): Promise<Result> {
  return page.evaluate((input) => {
    const w = window as unknown as {
      transformPastedHtml: (html: string) => string;
      violations: string[];
      pasted?: boolean;
    };
    const out = w.transformPastedHtml(input);
    const body = new DOMParser().parseFromString(out, 'text/html').body;
    const describe = (node: Node): string => {
      if (node.nodeType === 3) {
        const text = (node.textContent ?? '').replace(/\s+/g, ' ');
        return text.trim() === '' ? '' : JSON.stringify(text.trim());
      }
      if (node.nodeType !== 1) return '';
      const el = node as Element;
      const attrs = ['data-type', 'data-checked', 'href']
        .filter((name) => el.hasAttribute(name))
        .map((name) => `${name}=${el.getAttribute(name)}`);
      const inner = Array.from(el.childNodes).map(describe).filter(Boolean).join(' ');
      const tag = el.tagName.toLowerCase() + (attrs.length > 0 ? `[${attrs.join(',')}]` : '');
      return tag === 'br' ? '' : `${tag}(${inner})`;
    };
    const outline = Array.from(body.childNodes).map(describe).filter(Boolean).join(' ');
    return { html: out, outline, violations: [...w.violations], pasted: w.pasted === true };
  }, html);
}

describe('paste from Google Docs [issue 13]', () => {
  it('drops the bold wrapper, turns styled spans into marks, keeps lists, tables and the checklist', async () => {
    const result = await paste(fixture('google-docs.html'));
    expect(result.violations).toEqual([]);
    expect(result.html).not.toMatch(/style=|docs-internal-guid|<b[ >]/);
    expect(result.outline).toContain('h1("Q3 Launch Plan")');
    expect(result.outline).toContain(
      'p("Plain," strong("bold") "," em("italic") "," strong(em("both")) "," u("underlined") "," s("struck") "," mark("highlighted") "and" a[href=https://example.com/plan]("a link") ".")',
    );
    // The list item's own bold style (Google copies its first run's look) does not bold the item.
    expect(result.outline).toContain('ul(li(p(strong("Goal:") "ship the beta")) li(p("Second point")))');
    expect(result.outline).toContain(
      'table(tbody(tr(td(p(strong("Owner"))) td(p(strong("Due")))) tr(td(p("Ada")) td(p("30 Sept")))))',
    );
    expect(result.outline).toContain(
      'ul[data-type=taskList](li[data-type=taskItem,data-checked=true](p("Book the venue")) li[data-type=taskItem,data-checked=false](p("Send invites")))',
    );
  });
});

describe('paste from Microsoft Word [issue 13]', () => {
  it('turns mso-list paragraphs into nested real lists, bulleted or numbered as Word defined them', async () => {
    const result = await paste(fixture('word.html'));
    expect(result.violations).toEqual([]);
    expect(result.outline).toContain('ul(li(p("First bullet") ul(li(p("Nested bullet")))) li(p("Second bullet")))');
    expect(result.outline).toContain('ol(li(p("Step one")) li(p("Step two")))');
    // No bullet glyphs or Word markup survive.
    expect(result.outline).not.toMatch(/"·|"o |mso|o:p/);
  });

  it('keeps marks from tags and from styles, and the table as a table', async () => {
    const result = await paste(fixture('word.html'));
    expect(result.outline).toContain('p(strong("Status report"))');
    expect(result.outline).toContain(
      'p("This week:" em("italic") "," u("underlined") "," s("struck") "," strong("bold by style") "and" mark("highlighted") ".")',
    );
    expect(result.outline).toContain(
      'table(tbody(tr(td(p(strong("Item"))) td(p(strong("Cost")))) tr(td(p("Venue")) td(p("€1,200")))))',
    );
    expect(result.html).not.toMatch(/<style|<meta|<xml|StartFragment/);
  });
});

describe('paste from a web page [issue 13]', () => {
  it('keeps headings, code, links, marks, GitHub task lists and header cells; drops scripts', async () => {
    const result = await paste(fixture('web-page.html'));
    expect(result.violations).toEqual([]);
    expect(result.pasted).toBe(false);
    expect(result.html).not.toMatch(/<script|onerror/);
    expect(result.outline).toContain('h2("Install")');
    expect(result.outline).toContain(
      'p("Run" code("npm install") "then read" a[href=https://example.com/docs]("the docs") "." strong("Really") em("important") ".")',
    );
    expect(result.outline).toContain(
      'ul[data-type=taskList](li[data-type=taskItem,data-checked=true](p("Tests pass")) li[data-type=taskItem,data-checked=false](p("Docs updated")))',
    );
    expect(result.outline).toContain(
      'table(thead(tr(th("Option") th("Default"))) tbody(tr(td("port") td(code("8080")))))',
    );
    expect(result.outline).toContain('p(s("old") mark("new") s("gone") u("under") img())');
  });
});

describe('paste Markdown text [issue 13]', () => {
  it('recognises Markdown and converts it to blocks and marks', async () => {
    const markdown = fixture('notes.md');
    expect(looksLikeMarkdown(markdown)).toBe(true);
    const result = await paste(await marked.parse(markdown, { gfm: true, async: true }));
    expect(result.outline).toContain('h1("Meeting notes")');
    expect(result.outline).toContain(
      'p("Decisions from" strong("Tuesday") ", with" em("emphasis") "and a" a[href=https://example.com/notes]("link") ".")',
    );
    expect(result.outline).toContain(
      'ul[data-type=taskList](li[data-type=taskItem,data-checked=true](p("Agree on scope")) li[data-type=taskItem,data-checked=false](p("Draft the brief")))',
    );
    expect(result.outline).toContain('table(thead(tr(th("Owner") th("Task"))) tbody(tr(td("Ada") td("Budget"))))');
    expect(result.outline).toContain('ol(li("First") li("Second"))');
    expect(result.outline).toContain('blockquote(p("Quoted line"))');
    expect(result.outline).toContain('pre(code("const done = true;"))');
  });

  it('leaves ordinary prose alone', () => {
    expect(looksLikeMarkdown('Meet at 3pm - bring the slides.\nThanks!')).toBe(false);
    expect(looksLikeMarkdown('2 * 3 = 6 and 4 * 5 = 20')).toBe(false);
    expect(looksLikeMarkdown('See [the plan](https://example.com/plan)')).toBe(true);
  });
});
