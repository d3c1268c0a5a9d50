/**
 * Turns imported HTML (a Word file through mammoth, Markdown through marked, an .html file) into
 * ProseMirror JSON in the editor's own schema (web/src/editor/create-editor.ts and blocks.ts:
 * StarterKit, tables, task lists, highlight, links), which from-prosemirror.ts then writes as a
 * Y.Doc. It is also the sanitizer: only the elements the schema has are kept, every attribute
 * but a checked link href, a heading level, a list start, a code language and cell spans is
 * dropped, and script/style/template content never becomes text. Hand-written over
 * htmlparser2's tree because ProseMirror's DOMParser needs a browser DOM the server does not have;
 * it follows what that parser does with the same HTML (inline runs between blocks become
 * paragraphs, whitespace collapses, list items start with a paragraph, cells hold blocks).
 * Nesting is bounded twice, and past either bound the file is refused, never half-read: the
 * HTML's own element depth (checked first, without recursion, so no walk below can overflow the
 * stack) and the depth of the blocks it becomes (lists in lists, quotes, tables), which stays well
 * under what the projection reads (prosemirror-json.ts `maxNestingDepth`).
 */
import { DomUtils, parseDocument } from 'htmlparser2';
import type { ProseMirrorJson, ProseMirrorMark } from '../prosemirror-json.ts';
import { safeLinkHref } from '../safe-url.ts';

type DomNode = ReturnType<typeof parseDocument>['children'][number];
type DomElement = Extract<DomNode, { attribs: Record<string, string> }>;

/** The HTML or its blocks are nested deeper than the limits, or it yields too many nodes. */
export class ImportLimitError extends Error {
  readonly reason: 'too_deep' | 'too_large';
  constructor(reason: 'too_deep' | 'too_large', message: string) {
    super(message);
    this.name = 'ImportLimitError';
    this.reason = reason;
  }
}

export type HtmlImportLimits = {
  /** HTML elements nested deeper than this refuse the file (wrappers count: walks recurse on them). */
  maxElementDepth: number;
  /** Blocks nested deeper than this (a list item in a list is two levels) refuse the file. */
  maxDepth: number;
  /** Output nodes (blocks, text runs) past this refuse the file. */
  maxNodes: number;
};

/**
 * What to do with an `<img>`: the `src` to keep (a placeholder the importer resolves once it has
 * checked and stored the bytes, import-images.ts), or undefined to leave the image out.
 */
export type ImportImageSource = (src: string, alt: string, title: string) => string | undefined;

export const defaultHtmlImportLimits: HtmlImportLimits = {
  maxElementDepth: 500,
  maxDepth: 64,
  maxNodes: 500_000,
};

/** Never text: their content is code, metadata or a fallback for something else. */
const DROPPED = new Set([
  'script',
  'style',
  'template',
  'head',
  'title',
  'meta',
  'link',
  'noscript',
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'canvas',
  'video',
  'audio',
  'select',
  'button',
  'textarea',
]);

const BLOCK_TAGS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'blockquote',
  'pre',
  'hr',
  'table',
  'div',
  'section',
  'article',
  'header',
  'footer',
  'main',
  'aside',
  'nav',
  'figure',
  'figcaption',
  'dl',
  'dt',
  'dd',
  'address',
  'details',
  'summary',
  'body',
  'html',
  'center',
  'form',
  'fieldset',
]);

const MARK_TAGS: Record<string, string> = {
  strong: 'bold',
  b: 'bold',
  em: 'italic',
  i: 'italic',
  cite: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strike',
  del: 'strike',
  strike: 'strike',
  code: 'code',
  kbd: 'code',
  samp: 'code',
  tt: 'code',
  mark: 'highlight',
};

const isElement = (node: DomNode): node is DomElement => DomUtils.isTag(node);

/** Marks a `style` attribute spells (Google Docs and Word put formatting there, not in tags). */
function styleMarks(style: string | undefined, marks: ProseMirrorMark[]): ProseMirrorMark[] {
  if (!style) return marks;
  let out = marks;
  const s = style.toLowerCase().replace(/\s+/g, '');
  const weight = /font-weight:([a-z0-9]+)/.exec(s)?.[1];
  if (weight === 'bold' || weight === 'bolder' || (weight !== undefined && Number(weight) >= 600))
    out = withMark(out, { type: 'bold' });
  if (weight === 'normal' || (weight !== undefined && Number(weight) > 0 && Number(weight) < 600))
    out = out.filter((m) => m.type !== 'bold');
  if (/font-style:italic/.test(s)) out = withMark(out, { type: 'italic' });
  if (/text-decoration[a-z-]*:[^;]*underline/.test(s)) out = withMark(out, { type: 'underline' });
  if (/text-decoration[a-z-]*:[^;]*line-through/.test(s)) out = withMark(out, { type: 'strike' });
  return out;
}

function withMark(marks: ProseMirrorMark[], mark: ProseMirrorMark): ProseMirrorMark[] {
  return marks.some((m) => m.type === mark.type) ? marks : [...marks, mark];
}

const sameMarks = (a: ProseMirrorMark[] | undefined, b: ProseMirrorMark[] | undefined) =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

function codeLanguage(pre: DomElement): string | null {
  const code = pre.children.find((c): c is DomElement => isElement(c) && c.name === 'code');
  const cls = `${code?.attribs.class ?? ''} ${pre.attribs.class ?? ''}`;
  const lang = /(?:^|\s)(?:language|lang)-([A-Za-z0-9_+#.-]{1,40})/.exec(cls)?.[1];
  return lang ?? null;
}

function positiveInt(value: string | undefined, max: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, max) : 1;
}

class Converter {
  private nodes = 0;
  private readonly limits: HtmlImportLimits;
  private readonly imageSource: ImportImageSource | undefined;

  constructor(limits: HtmlImportLimits, imageSource?: ImportImageSource) {
    this.limits = limits;
    this.imageSource = imageSource;
  }

  private count(): void {
    if (++this.nodes > this.limits.maxNodes)
      throw new ImportLimitError('too_large', `the file has more than ${this.limits.maxNodes} blocks and runs of text`);
  }

  private deeper(depth: number, levels = 1): number {
    if (depth + levels > this.limits.maxDepth)
      throw new ImportLimitError(
        'too_deep',
        `the file's blocks are nested more than ${this.limits.maxDepth} levels deep`,
      );
    return depth + levels;
  }

  /** Block content: inline runs between blocks become paragraphs. */
  blocks(nodes: readonly DomNode[], depth: number): ProseMirrorJson[] {
    const out: ProseMirrorJson[] = [];
    let run: ProseMirrorJson[] = [];
    const flush = () => {
      const inline = tidyInline(run);
      run = [];
      if (inline.length > 0) out.push(this.block({ type: 'paragraph', content: inline }));
    };
    for (const node of nodes) {
      if (!isElement(node) || !BLOCK_TAGS.has(node.name)) {
        run.push(...this.inline(node, []));
        continue;
      }
      flush();
      out.push(...this.element(node, depth));
    }
    flush();
    return out;
  }

  private block(node: ProseMirrorJson): ProseMirrorJson {
    this.count();
    return node;
  }

  /** One block-level element as zero or more blocks. */
  private element(el: DomElement, depth: number): ProseMirrorJson[] {
    const name = el.name;
    if (/^h[1-6]$/.test(name)) {
      const content = tidyInline(this.inlineChildren(el, []));
      return [this.block({ type: 'heading', attrs: { level: Number(name[1]) }, ...(content.length && { content }) })];
    }
    if (name === 'p' || name === 'dt' || name === 'summary' || name === 'figcaption') {
      const inner = el.children.some((c) => isElement(c) && BLOCK_TAGS.has(c.name));
      // A <p> holding blocks is invalid HTML but common in exports: read its blocks.
      if (inner) return this.blocks(el.children, depth);
      const content = tidyInline(this.inlineChildren(el, []));
      return content.length > 0 ? [this.block({ type: 'paragraph', content })] : [];
    }
    if (name === 'hr') return [this.block({ type: 'horizontalRule' })];
    if (name === 'pre') return [this.codeBlock(el)];
    if (name === 'blockquote') {
      const content = this.blocks(el.children, this.deeper(depth));
      return [this.block({ type: 'blockquote', content: content.length ? content : [{ type: 'paragraph' }] })];
    }
    if (name === 'ul' || name === 'ol') return this.list(el, depth);
    if (name === 'li') return this.list({ ...el, name: 'ul', children: [el] } as DomElement, depth);
    if (name === 'table') return this.table(el, depth);
    // div, section, body…: transparent containers.
    return this.blocks(el.children, depth);
  }

  private codeBlock(pre: DomElement): ProseMirrorJson {
    // Code keeps its whitespace; a trailing newline is the closing fence's, not the code's.
    const text = DomUtils.textContent(pre).replace(/\r\n?/g, '\n').replace(/\n$/, '');
    this.count();
    return {
      type: 'codeBlock',
      attrs: { language: codeLanguage(pre) },
      ...(text && { content: [{ type: 'text', text }] }),
    };
  }

  /** A checkbox at the start of an item (GitHub's task lists as marked writes them). */
  private taskCheckbox(li: DomElement): { checked: boolean } | undefined {
    if (li.attribs['data-type'] === 'taskItem') return { checked: li.attribs['data-checked'] === 'true' };
    const first = li.children.find((c) => !(DomUtils.isText(c) && c.data.trim() === ''));
    const box =
      first && isElement(first) && first.name === 'p'
        ? first.children.find((c) => !(DomUtils.isText(c) && c.data.trim() === ''))
        : first;
    if (box && isElement(box) && box.name === 'input' && box.attribs.type === 'checkbox')
      return { checked: 'checked' in box.attribs };
    return undefined;
  }

  private list(el: DomElement, depth: number): ProseMirrorJson[] {
    const items = el.children.filter((c) => !(DomUtils.isText(c) && c.data.trim() === ''));
    const lis = items.map((c) =>
      isElement(c) && c.name === 'li' ? c : ({ type: 'tag', name: 'li', attribs: {}, children: [c] } as DomElement),
    );
    const tasks = lis.map((li) => this.taskCheckbox(li));
    const isTaskList = lis.length > 0 && (el.attribs['data-type'] === 'taskList' || tasks.every(Boolean));
    const d = this.deeper(depth, 2);
    const content = lis.map((li, i) => {
      const blocks = this.blocks(li.children, d);
      // A list item starts with a paragraph (listItem: 'paragraph block*').
      if (blocks[0]?.type !== 'paragraph') blocks.unshift({ type: 'paragraph' });
      return this.block(
        isTaskList
          ? { type: 'taskItem', attrs: { checked: tasks[i]?.checked ?? false }, content: blocks }
          : { type: 'listItem', content: blocks },
      );
    });
    if (content.length === 0) return [];
    if (isTaskList) return [this.block({ type: 'taskList', content })];
    if (el.name === 'ol') {
      const start = el.attribs.start === undefined ? 1 : Number(el.attribs.start);
      const attrs = { start: Number.isInteger(start) ? Math.max(0, Math.min(start, 1_000_000)) : 1 };
      return [this.block({ type: 'orderedList', attrs, content })];
    }
    return [this.block({ type: 'bulletList', content })];
  }

  private table(el: DomElement, depth: number): ProseMirrorJson[] {
    const rows: DomElement[] = [];
    const collect = (parent: DomElement) => {
      for (const c of parent.children) {
        if (!isElement(c)) continue;
        if (c.name === 'tr') rows.push(c);
        else if (c.name === 'thead' || c.name === 'tbody' || c.name === 'tfoot') collect(c);
      }
    };
    collect(el);
    const d = this.deeper(depth, 3);
    const content: ProseMirrorJson[] = [];
    for (const tr of rows) {
      const cells = tr.children
        .filter((c): c is DomElement => isElement(c) && (c.name === 'td' || c.name === 'th'))
        .map((cell) => {
          const blocks = this.blocks(cell.children, d);
          return this.block({
            type: cell.name === 'th' ? 'tableHeader' : 'tableCell',
            attrs: {
              colspan: positiveInt(cell.attribs.colspan, 1000),
              rowspan: positiveInt(cell.attribs.rowspan, 65_534),
            },
            content: blocks.length > 0 ? blocks : [{ type: 'paragraph' }],
          });
        });
      if (cells.length > 0) content.push(this.block({ type: 'tableRow', content: cells }));
    }
    return content.length > 0 ? [this.block({ type: 'table', content })] : [];
  }

  private inlineChildren(el: DomElement, marks: ProseMirrorMark[]): ProseMirrorJson[] {
    return el.children.flatMap((c) => this.inline(c, marks));
  }

  /** Inline content with the marks the enclosing elements set. */
  private inline(node: DomNode, marks: ProseMirrorMark[]): ProseMirrorJson[] {
    if (DomUtils.isText(node)) {
      const text = node.data.replace(/[ \t\r\n\f]+/g, ' ');
      if (text === '') return [];
      this.count();
      return [{ type: 'text', text, ...(marks.length && { marks }) }];
    }
    if (isElement(node) && node.name === 'img') return this.image(node);
    if (!isElement(node) || DROPPED.has(node.name)) return [];
    if (node.name === 'br') {
      this.count();
      return [{ type: 'hardBreak' }];
    }
    if (BLOCK_TAGS.has(node.name)) {
      // A block inside inline content (<span><p>…</p></span>): its text, then a break.
      return [...this.inlineChildren(node, marks), { type: 'hardBreak' }];
    }
    let inner = styleMarks(node.attribs.style, marks);
    const mark = MARK_TAGS[node.name];
    // Google Docs wraps a whole paste in <b style="font-weight:normal">: not bold.
    if (mark && !(node.name === 'b' && /font-weight:\s*(normal|[1-5]00)\b/i.test(node.attribs.style ?? '')))
      inner = withMark(inner, { type: mark });
    if (node.name === 'a') {
      const href = safeLinkHref(node.attribs.href);
      if (href !== undefined && !href.startsWith('#'))
        inner = [...inner.filter((m) => m.type !== 'link'), { type: 'link', attrs: { href } }];
    }
    return this.inlineChildren(node, inner);
  }

  /** An image where the text has it; liftImages() then moves it out of its paragraph as a block. */
  private image(img: DomElement): ProseMirrorJson[] {
    const alt = (img.attribs.alt ?? '').replace(/\s+/g, ' ').trim().slice(0, 1000);
    const title = (img.attribs.title ?? '').replace(/\s+/g, ' ').trim().slice(0, 1000);
    const src = this.imageSource?.(img.attribs.src ?? '', alt, title);
    if (src === undefined) return [];
    this.count();
    return [{ type: 'image', attrs: { src, alt: alt || null, title: title || null } }];
  }
}

const TEXTBLOCKS = new Set(['paragraph', 'heading']);
const STARTS_WITH_PARAGRAPH = new Set(['listItem', 'taskItem']);

/**
 * Images are blocks in the editor's schema (the image extension is not inline): a paragraph or
 * heading holding one is split around it, as ProseMirror's own parser does with pasted HTML. A
 * heading keeps its text before the image; list items still start with a paragraph.
 */
function liftImages(blocks: ProseMirrorJson[]): ProseMirrorJson[] {
  const out: ProseMirrorJson[] = [];
  for (const block of blocks) {
    const content = block.content ?? [];
    if (TEXTBLOCKS.has(block.type) && content.some((n) => n.type === 'image')) {
      let run: ProseMirrorJson[] = [];
      let first = true;
      const flush = () => {
        const inline = tidyInline(run);
        run = [];
        if (inline.length === 0) return;
        out.push({ ...(first ? block : { type: 'paragraph' }), content: inline });
        first = false;
      };
      for (const node of content) {
        if (node.type !== 'image') {
          run.push(node);
          continue;
        }
        flush();
        out.push(node);
      }
      flush();
      continue;
    }
    if (TEXTBLOCKS.has(block.type) || block.type === 'codeBlock' || content.length === 0) {
      out.push(block);
      continue;
    }
    const inner = liftImages(content);
    if (STARTS_WITH_PARAGRAPH.has(block.type) && inner[0]?.type !== 'paragraph') inner.unshift({ type: 'paragraph' });
    out.push({ ...block, content: inner });
  }
  return out;
}

/**
 * ProseMirror's whitespace rules for one paragraph's inline content: runs of spaces collapse
 * (also across element boundaries), leading and trailing spaces and those around a break go,
 * empty texts vanish, neighbouring texts with the same marks merge.
 */
function tidyInline(nodes: ProseMirrorJson[]): ProseMirrorJson[] {
  const out: ProseMirrorJson[] = [];
  for (const node of nodes) {
    const prev = out.at(-1);
    if (node.type === 'text') {
      let text = node.text ?? '';
      const prevText = prev?.type === 'text' ? (prev.text ?? '') : '';
      if ((prev === undefined || prev.type === 'hardBreak' || prevText.endsWith(' ')) && text.startsWith(' '))
        text = text.slice(1);
      if (text === '') continue;
      if (prev?.type === 'text' && sameMarks(prev.marks, node.marks)) prev.text = prevText + text;
      else out.push({ ...node, text });
      continue;
    }
    if (prev?.type === 'text' && prev.text?.endsWith(' ')) prev.text = prev.text.slice(0, -1);
    if (prev?.type === 'text' && prev.text === '') out.pop();
    out.push(node);
  }
  // Trailing spaces and breaks carry nothing at the end of a paragraph.
  for (;;) {
    const last = out.at(-1);
    if (last?.type === 'text' && last.text?.endsWith(' ')) {
      last.text = last.text.trimEnd();
      if (last.text === '') out.pop();
      continue;
    }
    if (last?.type === 'hardBreak') {
      out.pop();
      continue;
    }
    break;
  }
  return out;
}

/** Refuses a tree deeper than `max` elements, walking it with an explicit stack. */
function checkElementDepth(roots: readonly DomNode[], max: number): void {
  const stack: [DomNode, number][] = roots.map((n) => [n, 1]);
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [node, depth] = next;
    if (!isElement(node)) continue;
    if (depth > max) throw new ImportLimitError('too_deep', `the file is nested more than ${max} elements deep`);
    for (const child of node.children) stack.push([child, depth + 1]);
  }
}

/** The document's blocks (at least one paragraph), parsed from `html` within `limits`. */
export function htmlToProsemirror(
  html: string,
  limits: HtmlImportLimits = defaultHtmlImportLimits,
  imageSource?: ImportImageSource,
): ProseMirrorJson {
  const dom = parseDocument(html, { decodeEntities: true });
  checkElementDepth(dom.children, limits.maxElementDepth);
  const converted = new Converter(limits, imageSource).blocks(dom.children, 0);
  const content = imageSource ? liftImages(converted) : converted;
  return { type: 'doc', content: content.length > 0 ? content : [{ type: 'paragraph' }] };
}
