/**
 * Inline content of one PDF paragraph as pdfkit text runs: marks become standard fonts
 * (Helvetica/Courier, bold and oblique), underline, strike and link annotations; text is made
 * WinAnsi-safe. Only absolute links become annotations: a relative one opens nothing in a viewer.
 */
import { type ProseMirrorJson, stringAttr } from '../../content/prosemirror-json.ts';
import { safeLinkHref } from '../../content/safe-url.ts';
import { toWinAnsi } from './win-ansi.ts';

export type Run = {
  text: string;
  font: string;
  size: number;
  color: string;
  underline: boolean;
  strike: boolean;
  link: string | null;
};

export type RunStyle = { color: string; size: number; bold: boolean };

const LINK_COLOR = '#0b5cad';
const absoluteLink = /^(https?|mailto):/i;
/** Courier looks larger than Helvetica at the same size. */
const CODE_SCALE = 0.92;

export function fontFor(bold: boolean, italic: boolean, code: boolean): string {
  const family = code ? 'Courier' : 'Helvetica';
  if (bold && italic) return `${family}-BoldOblique`;
  if (bold) return `${family}-Bold`;
  if (italic) return `${family}-Oblique`;
  return family;
}

export function plainRun(text: string, font: string, size: number, color: string): Run {
  return { text: toWinAnsi(text), font, size, color, underline: false, strike: false, link: null };
}

export function inlineRuns(nodes: ProseMirrorJson[], style: RunStyle): Run[] {
  const runs: Run[] = [];
  // pdfkit drops a line break that ends a continued run, so a break opens the next run instead.
  let pendingBreaks = '';
  for (const node of nodes) {
    if (node.type === 'hardBreak') {
      pendingBreaks += '\n';
      continue;
    }
    const text =
      node.type === 'text' ? (node.text ?? '') : (stringAttr(node, 'label') ?? stringAttr(node, 'alt') ?? '');
    if (text === '') continue;
    const has = (type: string) => node.marks?.some((mark) => mark.type === type) ?? false;
    const code = has('code');
    const href = safeLinkHref(node.marks?.find((mark) => mark.type === 'link')?.attrs?.href);
    const link = href !== undefined && absoluteLink.test(href) ? href : null;
    runs.push({
      text: pendingBreaks + toWinAnsi(text),
      font: fontFor(style.bold || has('bold'), has('italic'), code),
      size: code ? style.size * CODE_SCALE : style.size,
      color: link === null ? style.color : LINK_COLOR,
      underline: has('underline') || link !== null,
      strike: has('strike'),
      link,
    });
    pendingBreaks = '';
  }
  return runs;
}
