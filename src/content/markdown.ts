/**
 * Renders ProseMirror JSON (TipTap StarterKit names plus the editor's tables and task lists) as
 * CommonMark, plus GFM `~~strike~~`, pipe tables and `- [x]` task items.
 * Text is escaped so it reads back literally; raw HTML never passes through (`<` is escaped);
 * URLs pass safe-url.ts. Underline and highlight have no Markdown form and are dropped; unknown
 * nodes render their children.
 *
 * Hand-written: @tiptap/static-renderer's Markdown escapes nothing, flattens nested lists and
 * breaks on backticks in code; prosemirror-markdown needs a full ProseMirror schema (so
 * @tiptap/core) and still passes `<`, `&amp;` and spaces in link URLs through unescaped.
 */
import { imageMarkdown, inlineMarkdown, longestRun } from './markdown-inline.ts';
import {
  hasInlineContent,
  integerAttr,
  maxNestingDepth,
  type ProseMirrorJson,
  stringAttr,
  textContent,
} from './prosemirror-json.ts';

/** `***` rather than `---`: a `- ---` list item would read as a thematic break, `- ***` does not. */
const thematicBreak = '***';
const maxListNumber = 999_999_999;

type Rendered = { node: ProseMirrorJson; markdown: string };

export function toMarkdown(doc: ProseMirrorJson): string {
  const body = renderBlock(doc, 0, false);
  return body === '' ? '' : `${body}\n`;
}

function renderBlock(node: ProseMirrorJson, depth: number, alternateMarker: boolean): string {
  if (depth > maxNestingDepth) return '';
  switch (node.type) {
    case 'paragraph':
      return inlineMarkdown(node.content ?? [], 'paragraph');
    case 'heading': {
      const text = inlineMarkdown(node.content ?? [], 'heading');
      const hashes = '#'.repeat(integerAttr(node, 'level', 1, 1, 6));
      return text === '' ? hashes : `${hashes} ${text}`;
    }
    case 'blockquote': {
      const inner = joinBlocks(renderChildren(node, depth), '\n\n');
      return prefixLines(inner, '> ', '>');
    }
    case 'bulletList':
    case 'orderedList':
    case 'taskList':
      return renderList(node, depth, alternateMarker);
    case 'table':
      return renderTable(node, depth);
    case 'codeBlock':
      return renderCodeBlock(node);
    case 'horizontalRule':
      return thematicBreak;
    case 'image':
      return imageMarkdown(node);
    case 'text':
      return inlineMarkdown([node], 'paragraph');
    default:
      if (hasInlineContent(node)) return inlineMarkdown(node.content ?? [], 'paragraph');
      return joinBlocks(renderChildren(node, depth), '\n\n');
  }
}

/**
 * Renders a container's children, skipping blocks with no Markdown (empty paragraphs). A list
 * right after a list of the same kind switches marker (`-`/`+`, `.`/`)`), or the two would merge.
 */
function renderChildren(node: ProseMirrorJson, depth: number): Rendered[] {
  const out: Rendered[] = [];
  let alternate = false;
  for (const child of node.content ?? []) {
    const previous = out.at(-1)?.node.type;
    alternate = child.type === previous && isList(child) ? !alternate : false;
    const markdown = renderBlock(child, depth + 1, alternate);
    if (markdown !== '') out.push({ node: child, markdown });
  }
  return out;
}

function joinBlocks(blocks: Rendered[], separator: string): string {
  return blocks.map((block) => block.markdown).join(separator);
}

function isList(node: ProseMirrorJson): boolean {
  return node.type === 'bulletList' || node.type === 'orderedList' || node.type === 'taskList';
}

function renderList(list: ProseMirrorJson, depth: number, alternateMarker: boolean): string {
  const items = list.content ?? [];
  const ordered = list.type === 'orderedList';
  const start = Math.min(integerAttr(list, 'start', 1, 0, maxListNumber), maxListNumber - items.length + 1);
  const rendered = items.map((item) => renderChildren(item, depth + 1));
  const tight = rendered.every(isTight);
  const itemSeparator = tight ? '\n' : '\n\n';
  return rendered
    .map((blocks, i) => {
      const bullet = ordered ? `${start + i}${alternateMarker ? ')' : '.'}` : alternateMarker ? '+' : '-';
      const task = list.type === 'taskList' ? ` [${items[i]?.attrs?.checked === true ? 'x' : ' '}]` : '';
      const marker = `${bullet}${task}`;
      const body = joinBlocks(blocks, itemSeparator);
      return body === '' ? marker : prefixLines(body, `${marker} `, '', ' '.repeat(marker.length + 1));
    })
    .join(itemSeparator);
}

/**
 * A list stays tight (no blank lines) only when each item is one block followed by lists that can
 * interrupt it: a second paragraph would merge into the first, and a nested list starting at 5 or
 * with an empty first item would be read as more of the paragraph above it.
 */
function isTight(blocks: Rendered[]): boolean {
  return blocks.every((block, i) => i === 0 || (isList(block.node) && /^([-+]|1[.)]) \S/.test(block.markdown)));
}

/**
 * A GFM pipe table. GFM needs a header row, so the first row is it whatever its cells are; a
 * cell's blocks join on one line (a table cell holds no block structure), pipes are escaped, and
 * spanned cells are followed by empty ones so every row has the same width.
 */
function renderTable(table: ProseMirrorJson, depth: number): string {
  const rows = (table.content ?? []).map((row) =>
    (row.content ?? []).flatMap((cell) => {
      const text = cellMarkdown(cell, depth + 2);
      const span = integerAttr(cell, 'colspan', 1, 1, 1000);
      return [text, ...new Array<string>(span - 1).fill('')];
    }),
  );
  const width = Math.max(1, ...rows.map((row) => row.length));
  if (rows.length === 0) return '';
  const line = (cells: string[]) =>
    `| ${Array.from({ length: width }, (_, i) => cells[i] ?? '').join(' | ')} |`.replace(/ {2}\|/g, ' |');
  const [header, ...body] = rows;
  return [line(header!), `|${' --- |'.repeat(width)}`, ...body.map(line)].join('\n');
}

function cellMarkdown(cell: ProseMirrorJson, depth: number): string {
  if (depth > maxNestingDepth) return '';
  const parts: string[] = [];
  const collect = (node: ProseMirrorJson, level: number) => {
    if (level > maxNestingDepth) return;
    if (node.type === 'codeBlock')
      parts.push(inlineMarkdown([{ type: 'text', text: textContent(node), marks: [{ type: 'code' }] }], 'heading'));
    else if (hasInlineContent(node)) parts.push(inlineMarkdown(node.content ?? [], 'heading'));
    else for (const child of node.content ?? []) collect(child, level + 1);
  };
  for (const child of cell.content ?? []) collect(child, depth + 1);
  return parts
    .filter((part) => part !== '')
    .join(' ')
    .replace(/\n/g, ' ')
    .replace(/\|/g, '\\|');
}

function renderCodeBlock(node: ProseMirrorJson): string {
  const code = textContent(node);
  const fence = '`'.repeat(Math.max(3, longestRun(code, '`') + 1));
  // The info string may not contain backticks, and only its first word names the language.
  const language = (stringAttr(node, 'language') ?? '').replace(/[`\s]/g, '');
  return `${fence}${language}\n${code}${code === '' ? '' : '\n'}${fence}`;
}

/** Prefixes the first line with `first` and every other line with `rest` (blank lines with `blank`). */
function prefixLines(text: string, first: string, blank: string, rest = first): string {
  return text
    .split('\n')
    .map((line, i) => {
      if (i === 0) return `${first}${line}`.trimEnd();
      return line === '' ? blank : `${rest}${line}`;
    })
    .join('\n');
}
