/**
 * Rewrites clipboard HTML into the plain semantic HTML the editor's schema reads, before
 * ProseMirror parses it. Needed because the CSP (`style-src 'self'`) stops the browser from
 * applying style attributes, and Google Docs and Word carry their formatting only there:
 * Google's `<b style="font-weight:normal" id="docs-internal-guid-…">` wrapper made everything
 * bold, styled spans lost their italics, and Word's `mso-list` paragraphs arrived as "· text".
 *
 * The HTML is parsed with DOMParser into an inert document (no scripts, no loads, no style
 * application), after renaming every `style=` and `on…=` attribute so not even a CSP report fires. Styles are
 * read as text: bold/italic/underline/strike/highlight become <strong>/<em>/<u>/<s>/<mark>; Word
 * list paragraphs become real nested <ul>/<ol>; Google Docs and GitHub checklists become the task
 * list markup TipTap reads; tables stay tables. Hand-written: no library maps these editor
 * dialects onto ProseMirror's schema, and the module must stay free of imports so the browser
 * tests can load it into a bare Chromium page.
 */

const STYLE_ATTR = 'data-cd-style';
const HANDLER_PREFIX = 'data-cd-';

type Styles = Map<string, string>;

/**
 * Takes <style> elements out (their text is kept: Word defines its lists there) and renames style
 * attributes inside tags, so parsing triggers no CSP check at all.
 */
function neutralizeStyles(html: string): { html: string; css: string } {
  const sheets: string[] = [];
  const withoutSheets = html.replace(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi, (_, css: string) => {
    sheets.push(css);
    return '';
  });
  // Chromium checks the CSP on event handler attributes as it parses them, even in an inert
  // document: they are renamed too (and removed with every other attribute the schema ignores).
  const renamed = withoutSheets.replace(/<[a-zA-Z][^>]*>/g, (tag) =>
    tag.replace(/(\s)style(\s*=)/gi, `$1${STYLE_ATTR}$2`).replace(/(\s)(on[a-z]+\s*=)/gi, `$1${HANDLER_PREFIX}$2`),
  );
  return { html: renamed, css: sheets.join('\n') };
}

function stylesOf(element: Element): Styles {
  const styles: Styles = new Map();
  const text = element.getAttribute(STYLE_ATTR) ?? element.getAttribute('style') ?? '';
  for (const declaration of text.split(';')) {
    const colon = declaration.indexOf(':');
    if (colon <= 0) continue;
    const name = declaration.slice(0, colon).trim().toLowerCase();
    const value = declaration
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name !== '' && value !== '') styles.set(name, value);
  }
  return styles;
}

const NEUTRAL_BACKGROUNDS = new Set([
  'transparent',
  'none',
  'inherit',
  'initial',
  'unset',
  'white',
  '#fff',
  '#ffffff',
  'rgb(255, 255, 255)',
  'rgb(255,255,255)',
  'window',
]);

type MarkTag = 'strong' | 'em' | 'u' | 's' | 'mark';

/** The marks an element's inline style asks for, outermost first. */
export function marksFromStyle(styles: Styles): MarkTag[] {
  const marks: MarkTag[] = [];
  const weight = styles.get('font-weight');
  if (weight !== undefined && (/^(bold|bolder)$/.test(weight) || Number(weight) >= 600)) marks.push('strong');
  const fontStyle = styles.get('font-style');
  if (fontStyle === 'italic' || fontStyle?.startsWith('oblique')) marks.push('em');
  const decoration = `${styles.get('text-decoration') ?? ''} ${styles.get('text-decoration-line') ?? ''}`;
  if (decoration.includes('underline')) marks.push('u');
  if (decoration.includes('line-through')) marks.push('s');
  const background = styles.get('background-color') ?? styles.get('background');
  const wordHighlight = styles.get('mso-highlight');
  if (
    (wordHighlight !== undefined && wordHighlight !== 'none') ||
    (background !== undefined && !NEUTRAL_BACKGROUNDS.has(background))
  ) {
    marks.push('mark');
  }
  return marks;
}

function unwrap(element: Element): void {
  element.replaceWith(...Array.from(element.childNodes));
}

/** Tags whose inline styles are read as marks (block elements keep their own meaning). */
const INLINE_STYLED = new Set(['SPAN', 'FONT', 'A', 'B', 'I', 'U', 'S', 'STRONG', 'EM', 'SUP', 'SUB']);

function applyStyleMarks(root: Element): void {
  // Children first would re-visit wrappers; a static list of the original elements avoids that.
  for (const element of Array.from(root.querySelectorAll('*'))) {
    const styles = stylesOf(element);
    const tag = element.tagName;
    const weight = styles.get('font-weight');
    const plainWeight = weight !== undefined && (weight === 'normal' || Number(weight) < 600);
    // Google Docs' wrapper (and any <b>/<strong> that styles itself back to normal) means nothing.
    if ((tag === 'B' || tag === 'STRONG') && (plainWeight || element.id.startsWith('docs-internal-guid'))) {
      unwrap(element);
      continue;
    }
    if ((tag === 'I' || tag === 'EM') && styles.get('font-style') === 'normal') {
      unwrap(element);
      continue;
    }
    // Only inline elements: Google Docs styles list items and cells with their first run's look.
    if (styles.size === 0 || !INLINE_STYLED.has(tag)) continue;
    // Google Docs underlines and colours its link text: the link itself is the mark.
    // Google Docs also strikes through the text of a ticked checklist item: the tick is the state.
    const marks = marksFromStyle(styles).filter(
      (mark) =>
        (mark !== 'u' || element.closest('a') === null) &&
        (mark !== 's' || element.closest('li[role="checkbox"][aria-checked="true"]') === null),
    );
    if (marks.length === 0) continue;
    const doc = element.ownerDocument;
    const target = element;
    let inner: Element | undefined;
    let outer: Element | undefined;
    for (const mark of marks) {
      const wrapper = doc.createElement(mark);
      if (inner) inner.append(wrapper);
      else outer = wrapper;
      inner = wrapper;
    }
    inner!.append(...Array.from(target.childNodes));
    target.append(outer!);
  }
}

// ---------------------------------------------------------------------------------------------
// Word lists

type ListItemInfo = { listId: string; level: number; ordered: boolean };

/** `@list l0:level1 { mso-level-number-format: bullet; … }` from Word's <style>: which lists are bulleted. */
function wordListFormats(css: string): Map<string, boolean> {
  const ordered = new Map<string, boolean>();
  for (const match of css.matchAll(/@list\s+(l\d+):level(\d+)\s*\{([^}]*)\}/gi)) {
    const format = /mso-level-number-format:\s*([a-z-]+)/i.exec(match[3]!)?.[1]?.toLowerCase();
    // A level with no number format is numbered: decimal is Word's default.
    ordered.set(`${match[1]!.toLowerCase()}:${match[2]}`, format !== 'bullet');
  }
  return ordered;
}

const ORDERED_MARKER = /^\(?([0-9]+|[a-z]|[ivxlcdm]+)[.)]/i;

function wordListItem(p: Element, formats: Map<string, boolean>): ListItemInfo | undefined {
  const msoList = stylesOf(p).get('mso-list');
  if (msoList === undefined || msoList === 'ignore' || msoList === 'skip') return undefined;
  const listId = /\b(l\d+)\b/.exec(msoList)?.[1] ?? 'l0';
  const level = Number(/level(\d+)/.exec(msoList)?.[1] ?? '1');
  const markers = Array.from(p.querySelectorAll('*')).filter((el) => stylesOf(el).get('mso-list') === 'ignore');
  const markerText = markers
    .map((el) => el.textContent ?? '')
    .join('')
    .replace(/\u00a0/g, ' ')
    .trim();
  for (const marker of markers) if (marker.isConnected) marker.remove();
  const declared = formats.get(`${listId}:${level}`);
  const ordered = declared ?? ORDERED_MARKER.test(markerText);
  return { listId, level, ordered };
}

/** Replaces each run of consecutive Word list paragraphs with one nested list. */
function convertWordLists(doc: Document, css: string): void {
  const formats = wordListFormats(css);
  const paragraphs = Array.from(doc.body.querySelectorAll('p'));
  const items = new Map<Element, ListItemInfo>();
  for (const p of paragraphs) {
    const info = wordListItem(p, formats);
    if (info) items.set(p, info);
  }
  const done = new Set<Element>();
  for (const first of items.keys()) {
    if (done.has(first)) continue;
    const run: Element[] = [first];
    let next = nextElement(first);
    while (next && items.has(next)) {
      run.push(next);
      next = nextElement(next);
    }
    for (const p of run) done.add(p);
    first.before(buildList(doc, run, items));
    for (const p of run) p.remove();
  }
}

/** The next element sibling, skipping whitespace text and comments (Word's conditional comments). */
function nextElement(element: Element): Element | null {
  let node = element.nextSibling;
  while (node && node.nodeType !== 1) {
    if (node.nodeType === 3 && (node.textContent ?? '').trim() !== '') return null;
    node = node.nextSibling;
  }
  return node as Element | null;
}

function buildList(doc: Document, run: Element[], items: Map<Element, ListItemInfo>): Element {
  const stack: { level: number; list: Element }[] = [];
  let root: Element | undefined;
  for (const p of run) {
    const info = items.get(p)!;
    while (stack.length > 1 && stack.at(-1)!.level > info.level) stack.pop();
    let top = stack.at(-1);
    if (top === undefined || top.level < info.level) {
      const list = doc.createElement(info.ordered ? 'ol' : 'ul');
      if (top === undefined) root = list;
      else {
        const lastItem = top.list.lastElementChild ?? top.list.appendChild(doc.createElement('li'));
        lastItem.append(list);
      }
      top = { level: info.level, list };
      stack.push(top);
    }
    const li = doc.createElement('li');
    const para = doc.createElement('p');
    para.append(...Array.from(p.childNodes));
    li.append(para);
    top.list.append(li);
  }
  return root!;
}

// ---------------------------------------------------------------------------------------------
// Checklists

/** GitHub (`li.task-list-item` with a checkbox) and Google Docs (`li[role=checkbox]`) checklists. */
function convertChecklists(doc: Document): void {
  for (const li of Array.from(doc.body.querySelectorAll('li'))) {
    const box = li.querySelector(':scope > input[type="checkbox"], :scope > p > input[type="checkbox"]');
    const googleChecked = li.getAttribute('role') === 'checkbox' ? li.getAttribute('aria-checked') : null;
    if (!box && googleChecked === null) continue;
    const checked = box ? box.hasAttribute('checked') : googleChecked === 'true';
    box?.remove();
    // Google Docs draws its checkbox as an image.
    for (const image of Array.from(li.querySelectorAll(':scope > img[aria-roledescription="checkbox"]')))
      image.remove();
    li.setAttribute('data-type', 'taskItem');
    li.setAttribute('data-checked', String(checked));
    const list = li.parentElement;
    if (list && (list.tagName === 'UL' || list.tagName === 'OL') && list.getAttribute('data-type') !== 'taskList') {
      const task = doc.createElement('ul');
      task.setAttribute('data-type', 'taskList');
      task.append(...Array.from(list.childNodes));
      list.replaceWith(task);
    }
    // TipTap's task item holds paragraphs: bare text gets one.
    if (!li.firstElementChild || !/^(P|H[1-6]|UL|OL)$/.test(li.firstElementChild.tagName)) {
      const para = doc.createElement('p');
      while (li.firstChild && !(li.firstChild.nodeType === 1 && /^(UL|OL)$/.test((li.firstChild as Element).tagName))) {
        para.append(li.firstChild);
      }
      li.prepend(para);
    }
    // The space between a checkbox and its text is not part of the task.
    const first = li.firstElementChild?.firstChild;
    if (first?.nodeType === 3) first.textContent = (first.textContent ?? '').replace(/^[\s\u00a0]+/, '');
  }
}

// ---------------------------------------------------------------------------------------------

const DROPPED = 'script, style, meta, link, title, template, object, embed, iframe, colgroup, xml';
/** Elements that mean nothing to the schema once their styles are marks: their content stays. */
const UNWRAPPED = 'span, font';
/** Presentational tags renamed to the ones the schema's parse rules name first. */
const RENAMED = new Map([
  ['B', 'strong'],
  ['I', 'em'],
  ['DEL', 's'],
  ['STRIKE', 's'],
]);

function cleanUp(doc: Document): void {
  for (const element of Array.from(doc.querySelectorAll(DROPPED))) element.remove();
  // <o:p> parses as an element named "o:p", which querySelector cannot always name.
  for (const element of Array.from(doc.body.getElementsByTagName('*'))) {
    if (element.tagName.includes(':')) unwrap(element);
  }
  for (const br of Array.from(doc.querySelectorAll('br.Apple-interchange-newline'))) br.remove();
  const walker = doc.createTreeWalker(doc.body, 128 /* NodeFilter.SHOW_COMMENT */);
  const comments: Node[] = [];
  while (walker.nextNode()) comments.push(walker.currentNode);
  for (const comment of comments) comment.parentNode?.removeChild(comment);
  for (const element of Array.from(doc.body.querySelectorAll(UNWRAPPED))) unwrap(element);
  for (const element of Array.from(doc.body.querySelectorAll('b, i, del, strike'))) {
    const renamed = doc.createElement(RENAMED.get(element.tagName)!);
    renamed.append(...Array.from(element.childNodes));
    element.replaceWith(renamed);
  }
  for (const element of Array.from(doc.body.getElementsByTagName('*'))) {
    for (const name of element.getAttributeNames()) {
      // Event handlers never run in the inert document, and must not reach the editor's either.
      if (name.startsWith(HANDLER_PREFIX) || name === 'style' || name === 'class' || name.startsWith('on')) {
        element.removeAttribute(name);
      }
    }
  }
}

/** The clipboard HTML rewritten into semantic HTML with no style attributes left. */
export function transformPastedHtml(html: string): string {
  const neutral = neutralizeStyles(html);
  const doc = new DOMParser().parseFromString(neutral.html, 'text/html');
  convertWordLists(doc, neutral.css);
  applyStyleMarks(doc.body);
  convertChecklists(doc);
  cleanUp(doc);
  return doc.body.innerHTML;
}
