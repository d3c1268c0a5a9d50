/**
 * Markdown for the inline content of one text block: CommonMark escaping of text, emphasis that
 * parses back to the same marks, code spans with safe backtick fences, links and images whose
 * URLs pass safe-url.ts (an unsafe link keeps its text, an unsafe image its alt text).
 */
import { markKey, sequenceInline } from './inline-marks.ts';
import { type EmphasisMark, joinPieces, type Piece } from './markdown-emphasis.ts';
import { type ProseMirrorJson, type ProseMirrorMark, stringAttr } from './prosemirror-json.ts';
import { safeImageSrc, safeLinkHref } from './safe-url.ts';

const emphasisMarks = new Set<string>(['bold', 'italic', 'strike']);
const referenceDefinitionShape = /^\[(?:[^\\\]]|\\.)*\]:/;

/** In a heading a hard break cannot be expressed, so it becomes a space. */
export type InlineContext = 'paragraph' | 'heading';

function supported(mark: ProseMirrorMark): boolean {
  if (mark.type === 'link') return safeLinkHref(mark.attrs?.href) !== undefined;
  return mark.type === 'code' || emphasisMarks.has(mark.type);
}

export function inlineMarkdown(nodes: ProseMirrorJson[], context: InlineContext): string {
  const pieces: Piece[] = [];
  const text = (markdown: string) => pieces.push({ kind: 'text', text: markdown });
  const openPairs: number[] = [];
  let atLineStart = true;
  let code: string[] | undefined;
  for (const event of sequenceInline(expelWhitespace(trimBreaks(nodes)), supported)) {
    if (event.kind === 'node') {
      const { node } = event;
      if (code !== undefined) {
        code.push(node.type === 'text' ? (node.text ?? '') : ' ');
      } else if (node.type === 'hardBreak') {
        text(context === 'heading' ? ' ' : '\\\n');
        atLineStart = context === 'paragraph';
      } else {
        const rendered: string = node.type === 'text' ? escapeText(node.text ?? '', atLineStart) : inlineAtom(node);
        text(rendered);
        atLineStart &&= rendered === '';
      }
      continue;
    }
    const { mark } = event;
    if (mark.type === 'code') {
      if (event.kind === 'open') code = [];
      else {
        text(codeSpan(code!.join('')));
        code = undefined;
        atLineStart = false;
      }
    } else if (mark.type === 'link') {
      text(event.kind === 'open' ? '[' : `](${linkDestination(safeLinkHref(mark.attrs?.href)!)})`);
    } else {
      const pair = event.kind === 'open' ? pieces.length : openPairs.pop()!;
      if (event.kind === 'open') openPairs.push(pair);
      pieces.push({ kind: 'delimiter', pair, side: event.kind, mark: mark.type as EmphasisMark });
    }
  }
  const markdown = joinPieces(pieces).replace(/[ \t]+$/, '');
  if (context === 'heading') return escapeClosingHashes(markdown);
  // A paragraph opening with `[label]:` is a link reference definition and would vanish. Text
  // escapes its brackets, so only a code span inside a leading link can do this; a zero-width
  // space in front is the one thing that stops it.
  return referenceDefinitionShape.test(markdown) ? `&#x200B;${markdown}` : markdown;
}

/** True for nodes with no Markdown of their own at a line's edge: hard breaks and plain whitespace. */
function isBlankEdge(node: ProseMirrorJson): boolean {
  if (node.type === 'hardBreak') return true;
  const code = node.marks?.some((mark) => mark.type === 'code') ?? false;
  return node.type === 'text' && !code && (node.text ?? '').trim() === '';
}

/** A hard break before any text or after all of it has no Markdown form (a trailing `\` is literal). */
function trimBreaks(nodes: ProseMirrorJson[]): ProseMirrorJson[] {
  let start = 0;
  let end = nodes.length;
  while (start < end && isBlankEdge(nodes[start]!)) start++;
  while (end > start && isBlankEdge(nodes[end - 1]!)) end--;
  return nodes.slice(start, end).filter((node) => node.type !== 'text' || (node.text ?? '') !== '');
}

const emphasisOnly = (mark: ProseMirrorMark) => emphasisMarks.has(mark.type);

/**
 * CommonMark only closes `**` after a non-space and opens it before one, so whitespace keeps an
 * emphasis mark only when the text on both sides of it has that mark too: `**a **b` becomes
 * `**a** b`. Code spans keep their spaces.
 */
function expelWhitespace(nodes: ProseMirrorJson[]): ProseMirrorJson[] {
  const pieces: { node: ProseMirrorJson; blank: boolean }[] = [];
  for (const node of nodes) {
    const code = node.marks?.some((mark) => mark.type === 'code') ?? false;
    if (node.type !== 'text' || code || !node.marks?.some(emphasisOnly)) {
      pieces.push({ node, blank: false });
      continue;
    }
    for (const run of (node.text ?? '').match(/\s+|\S+/g) ?? []) {
      pieces.push({ node: { ...node, text: run }, blank: /^\s/.test(run) });
    }
  }
  const keys = (piece: { node: ProseMirrorJson } | undefined) => new Set((piece?.node.marks ?? []).map(markKey));
  const before: (Set<string> | undefined)[] = [];
  let last: Set<string> | undefined;
  pieces.forEach((piece, i) => {
    before[i] = last;
    if (!piece.blank) last = keys(piece);
  });
  let next: Set<string> | undefined;
  const out: ProseMirrorJson[] = new Array(pieces.length);
  for (let i = pieces.length - 1; i >= 0; i--) {
    const { node, blank } = pieces[i]!;
    if (blank) {
      const marks = (node.marks ?? []).filter(
        (mark) => !emphasisOnly(mark) || (before[i]?.has(markKey(mark)) && next?.has(markKey(mark))),
      );
      out[i] = { ...node, marks };
    } else {
      out[i] = node;
      next = keys(pieces[i]);
    }
  }
  return out;
}

const alphanumeric = /[\p{L}\p{N}]/u;
const entityReference = /&#?[0-9A-Za-z]+;/y;

/** Backslash-escapes what CommonMark (and GFM strikethrough) would read as syntax, and no more. */
function escapeText(text: string, atLineStart: boolean): string {
  let escaped = text.replace(/\r\n?|\n/g, ' ').replace(/[\\`*_[\]<~&!]/g, (char, at: number, all: string) => {
    if (char === '_') {
      // An underscore between letters or digits can neither open nor close emphasis.
      return alphanumeric.test(all[at - 1] ?? '') && alphanumeric.test(all[at + 1] ?? '') ? '_' : '\\_';
    }
    if (char === '&') {
      entityReference.lastIndex = at;
      return entityReference.test(all) ? '\\&' : '&';
    }
    // "!" only matters right before a link's "[", which text never supplies unescaped.
    if (char === '!') return at === all.length - 1 ? '\\!' : '!';
    return `\\${char}`;
  });
  if (atLineStart) {
    // Leading whitespace is not significant in Markdown (four spaces would even start code).
    escaped = escaped.replace(/^[ \t]+/, '');
    if (/^[#>+=-]/.test(escaped)) escaped = `\\${escaped}`;
    else escaped = escaped.replace(/^(\d{1,9})([.)])/, '$1\\$2');
  }
  return escaped;
}

/** `# foo #` would lose its last word's hashes as a closing sequence. */
function escapeClosingHashes(heading: string): string {
  return heading.replace(/(^|[ \t])(#+)$/, '$1\\$2');
}

export function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

function codeSpan(text: string): string {
  const code = text.replace(/\r\n?|\n/g, ' ');
  if (code === '') return '';
  const fence = '`'.repeat(longestRun(code, '`') + 1);
  // A space on each side keeps a backtick off the fence; the parser strips exactly one per side.
  const pad = code.startsWith('`') || code.endsWith('`') || (/^ .* $/s.test(code) && code.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${code}${pad}${fence}`;
}

/** Whitespace and angle brackets are percent-encoded; the rest of the URL is kept as written. */
function linkDestination(url: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets encoded
  const unsafe = /[\u0000-\u0020\u007f<>]/g;
  const encoded = url.replace(unsafe, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  // Markdown decodes character references in destinations: `\&` keeps an ampersand literal.
  return encoded.replace(/[\\()]/g, '\\$&').replace(/&(?=#?[0-9A-Za-z]+;)/g, '\\&');
}

function inlineAtom(node: ProseMirrorJson): string {
  if (node.type === 'image') return imageMarkdown(node);
  // An export's comment marker [E10]: a footnote reference, its note printed at the end.
  if (node.type === 'commentRef') {
    const n = node.attrs?.number;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? `[^${n}]` : '';
  }
  if (node.type === 'commentStart') return '';
  return escapeText(stringAttr(node, 'label') ?? '', false);
}

export function imageMarkdown(node: ProseMirrorJson): string {
  const alt = escapeText(stringAttr(node, 'alt') ?? '', false);
  const src = safeImageSrc(node.attrs?.src);
  if (src === undefined) return alt;
  const title = stringAttr(node, 'title')?.replace(/\s+/g, ' ');
  const titlePart = title ? ` "${title.replace(/["\\]/g, '\\$&')}"` : '';
  return `![${alt}](${linkDestination(src)}${titlePart})`;
}
