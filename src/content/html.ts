/**
 * Renders ProseMirror JSON (TipTap StarterKit names plus the editor's tables, task lists and
 * highlight, web/src/editor/blocks.ts) as a safe HTML fragment: every
 * text and attribute value is escaped, tags come only from the fixed tables below (never from the
 * document), and URLs pass the allow-list in safe-url.ts. Unknown nodes render their children;
 * unknown marks are ignored.
 *
 * Hand-written: @tiptap/html/server needs happy-dom (a whole DOM) as a peer, and
 * @tiptap/static-renderer needs @tiptap/core, StarterKit and ProseMirror at run time, for a
 * mapping this small; the safety rules are also easier to audit in one file.
 */
import { type InlineEvent, sequenceInline } from './inline-marks.ts';
import {
  hasInlineContent,
  integerAttr,
  maxNestingDepth,
  type ProseMirrorJson,
  type ProseMirrorMark,
  stringAttr,
  textContent,
} from './prosemirror-json.ts';
import { safeImageSrc, safeLinkHref } from './safe-url.ts';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => escapes[char]!);
}

// Maps, not object literals: a node typed "constructor" must not find Object.prototype's.
const blockTags = new Map([
  ['blockquote', 'blockquote'],
  ['bulletList', 'ul'],
  ['listItem', 'li'],
]);

const markTags = new Map([
  ['bold', 'strong'],
  ['italic', 'em'],
  ['strike', 's'],
  ['underline', 'u'],
  ['highlight', 'mark'],
  ['code', 'code'],
]);

/** Table cells: header cells are <th>. Spans are clamped, so a hostile attr cannot blow up a layout. */
const cellTags = new Map([
  ['tableHeader', 'th'],
  ['tableCell', 'td'],
]);
const MAX_SPAN = 1000;

/** Code block languages become a class name, so only plain identifiers pass. */
const languagePattern = /^[A-Za-z0-9_+#.-]{1,40}$/;

export function toHtml(doc: ProseMirrorJson): string {
  return block(doc, 0);
}

function block(node: ProseMirrorJson, depth: number): string {
  if (depth > maxNestingDepth) return '';
  switch (node.type) {
    case 'paragraph':
      return `<p>${inline(node.content ?? [])}</p>`;
    case 'heading': {
      const level = integerAttr(node, 'level', 1, 1, 6);
      return `<h${level}>${inline(node.content ?? [])}</h${level}>`;
    }
    case 'orderedList': {
      const start = integerAttr(node, 'start', 1, 0, 999_999_999);
      return `<ol${start === 1 ? '' : ` start="${start}"`}>${children(node, depth)}</ol>`;
    }
    case 'codeBlock': {
      const language = stringAttr(node, 'language');
      const attr = language !== undefined && languagePattern.test(language) ? ` class="language-${language}"` : '';
      return `<pre><code${attr}>${escapeHtml(textContent(node))}</code></pre>`;
    }
    case 'horizontalRule':
      return '<hr>';
    case 'table':
      return `<table><tbody>${children(node, depth)}</tbody></table>`;
    case 'tableRow':
      return `<tr>${children(node, depth)}</tr>`;
    case 'tableHeader':
    case 'tableCell':
      return cell(node, depth);
    // The markup TipTap's task list reads back, so an exported checklist pastes as one.
    case 'taskList':
      return `<ul data-type="taskList">${children(node, depth)}</ul>`;
    case 'taskItem': {
      const checked = node.attrs?.checked === true;
      const box = `<input type="checkbox" disabled${checked ? ' checked' : ''}>`;
      return `<li data-type="taskItem" data-checked="${checked}">${box}<div>${children(node, depth)}</div></li>`;
    }
    case 'image':
      return image(node);
    case 'text':
      return inline([node]);
    default: {
      const tag = blockTags.get(node.type);
      if (tag !== undefined) return `<${tag}>${children(node, depth)}</${tag}>`;
      if (hasInlineContent(node)) return `<p>${inline(node.content ?? [])}</p>`;
      return children(node, depth);
    }
  }
}

function children(node: ProseMirrorJson, depth: number): string {
  return (node.content ?? []).map((child) => block(child, depth + 1)).join('');
}

function cell(node: ProseMirrorJson, depth: number): string {
  const tag = cellTags.get(node.type)!;
  const colspan = integerAttr(node, 'colspan', 1, 1, MAX_SPAN);
  const rowspan = integerAttr(node, 'rowspan', 1, 1, MAX_SPAN);
  const spans = `${colspan > 1 ? ` colspan="${colspan}"` : ''}${rowspan > 1 ? ` rowspan="${rowspan}"` : ''}`;
  return `<${tag}${spans}>${children(node, depth)}</${tag}>`;
}

function image(node: ProseMirrorJson): string {
  const src = safeImageSrc(node.attrs?.src);
  const alt = stringAttr(node, 'alt') ?? '';
  if (src === undefined) return escapeHtml(alt);
  const title = stringAttr(node, 'title');
  return `<img src="${escapeHtml(src)}" alt="${escapeHtml(alt)}"${title ? ` title="${escapeHtml(title)}"` : ''}>`;
}

/** An export's comment marker [E10]: a footnote link to its note in the "Comments" aside, and back. */
function commentRef(node: ProseMirrorJson): string {
  const n = integerAttr(node, 'number', 0, 0, 1_000_000);
  if (n === 0) return '';
  return `<sup class="comment-ref" id="comment-ref-${n}"><a href="#comment-${n}">[${n}]</a></sup>`;
}

function supported(mark: ProseMirrorMark): boolean {
  if (mark.type === 'link') return safeLinkHref(mark.attrs?.href) !== undefined;
  return markTags.has(mark.type);
}

function inline(nodes: ProseMirrorJson[]): string {
  return sequenceInline(nodes, supported).map(renderEvent).join('');
}

function renderEvent(event: InlineEvent): string {
  if (event.kind === 'node') {
    const node = event.node;
    if (node.type === 'text') return escapeHtml(node.text ?? '');
    if (node.type === 'hardBreak') return '<br>';
    if (node.type === 'image') return image(node);
    if (node.type === 'commentRef') return commentRef(node);
    if (node.type === 'commentStart') return '';
    return escapeHtml(stringAttr(node, 'label') ?? '');
  }
  const { mark } = event;
  if (mark.type === 'link') {
    if (event.kind === 'close') return '</a>';
    const href = escapeHtml(safeLinkHref(mark.attrs?.href)!);
    const newTab = mark.attrs?.target === '_blank' ? ' target="_blank"' : '';
    return `<a href="${href}"${newTab} rel="noopener noreferrer nofollow">`;
  }
  const tag = markTags.get(mark.type)!;
  return event.kind === 'open' ? `<${tag}>` : `</${tag}>`;
}
