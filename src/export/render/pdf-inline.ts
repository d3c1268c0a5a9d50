/**
 * Inline content of one PDF paragraph as pdfkit text runs: marks become standard fonts
 * (Helvetica/Courier, bold and oblique), underline, strike and link annotations; characters the
 * standard fonts lack go to embedded fonts (pdf-fonts.ts). Only absolute links become annotations: a relative one opens nothing in a viewer.
 */
import { type ProseMirrorJson, stringAttr } from '../../content/prosemirror-json.ts';
import { safeLinkHref } from '../../content/safe-url.ts';
import { isRightToLeft, layoutOptions, segmentText, type Weight } from './pdf-fonts.ts';

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

/** Helvetica's ascent: every run is set on the baseline Helvetica text would have, whatever its font. */
const ASCENT = 0.718;

/** pdfkit's numeric `baseline` (points above the line top, negated) shared by all runs of a line. */
export function sharedBaseline(runs: Run[]): number {
  return -ASCENT * Math.max(...runs.map((run) => run.size));
}

function weightOf(bold: boolean, italic: boolean): Weight {
  if (bold && italic) return 'boldItalic';
  if (bold) return 'bold';
  return italic ? 'italic' : 'regular';
}

/** Runs of one style for `text`, split wherever another font must show the characters. */
export function plainRuns(text: string, font: string, size: number, color: string, bold = false): Run[] {
  return segmentText(text, font, weightOf(bold, false)).map((segment) => ({
    text: segment.text,
    font: segment.font,
    size,
    color,
    underline: false,
    strike: false,
    link: null,
  }));
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
    const bold = style.bold || has('bold');
    const italic = has('italic');
    const segments = segmentText(pendingBreaks + text, fontFor(bold, italic, code), weightOf(bold, italic));
    for (const segment of segments) {
      runs.push({
        text: segment.text,
        font: segment.font,
        size: code ? style.size * CODE_SCALE : style.size,
        color: link === null ? style.color : LINK_COLOR,
        underline: has('underline') || link !== null,
        strike: has('strike'),
        link,
      });
    }
    pendingBreaks = '';
  }
  return runs;
}

/**
 * Writes runs as one flowing paragraph (pdfkit continued text) from `x`, `width` wide, on one
 * shared baseline; a paragraph that starts right to left is right-aligned. Body text and table
 * cells both write through here.
 */
export function flowRuns(doc: PDFKit.PDFDocument, runs: Run[], x: number, width: number, lineGap: number): void {
  const align = isRightToLeft(runs.map((run) => run.text).join('')) ? 'right' : 'left';
  const baseline = sharedBaseline(runs);
  runs.forEach((run, i) => {
    doc.font(run.font).fontSize(run.size).fillColor(run.color);
    const options: PDFKit.Mixins.TextOptions = {
      width,
      align,
      baseline,
      lineGap,
      continued: i < runs.length - 1,
      underline: run.underline,
      strike: run.strike,
      link: run.link,
      ...layoutOptions(run.font),
    };
    if (i === 0) doc.text(run.text, x, doc.y, options);
    else doc.text(run.text, options);
  });
}
