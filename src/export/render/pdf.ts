/**
 * The PDF export with pdfkit: the title on the first page, headings sized by level, paragraphs
 * of styled runs, nested lists and checklists, tables (pdf-table.ts), block quotes with a rule,
 * shaded code blocks that split across pages, clickable links, "Page N of M" footers and the Title in the document's metadata.
 * Text the standard fonts cannot show goes to embedded fonts character by character (pdf-fonts.ts).
 */
import PDFDocument from 'pdfkit';
import { integerAttr, type ProseMirrorJson, stringAttr, textContent } from '../../content/prosemirror-json.ts';
import { groupBlocks } from './block-groups.ts';
import { layoutOptions, registerFonts, segmentText } from './pdf-fonts.ts';
import { drawImage, embeddableImage } from './pdf-image.ts';
import { flowRuns, inlineRuns, plainRuns, type Run } from './pdf-inline.ts';
import { drawTable } from './pdf-table.ts';
import { toWinAnsi } from './win-ansi.ts';

export type PdfOptions = {
  /** pdfkit deflates content streams; tests may turn that off to read the text directly. */
  compress?: boolean;
};

const PAGE_MARGIN = 56;
const BODY_SIZE = 11;
const LINE_GAP = 2;
const PARAGRAPH_GAP = 7;
const LIST_PARAGRAPH_GAP = 2;
const TITLE_SIZE = 24;
const HEADING_SIZES = [22, 18, 15, 13, 12, 11];
const CODE_SIZE = 9.5;
const CODE_PADDING = 6;
const QUOTE_INDENT = 16;
const FOOTER_SIZE = 9;
/** Nested lists and quotes stop indenting past half the text width, so text never runs out of room. */
const MAX_INDENT_SHARE = 0.5;
const TEXT_COLOR = '#1a1a1a';
const QUOTE_COLOR = '#444444';
const RULE_COLOR = '#bbbbbb';
const CODE_BACKGROUND = '#f2f2f2';
const BULLETS = ['•', '–', '·'];
/** Unchecked and checked task items (the standard fonts have no ballot boxes). */
const TASK_MARKERS = ['[ ]', '[x]'] as const;

type Context = { indent: number; listLevel: number; color: string; paragraphGap: number };

export function toPdf(title: string, content: ProseMirrorJson, options: PdfOptions = {}): Promise<Uint8Array> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: PAGE_MARGIN, bottom: PAGE_MARGIN, left: PAGE_MARGIN, right: PAGE_MARGIN },
    bufferPages: true,
    compress: options.compress ?? true,
    displayTitle: true,
    // Info strings are Unicode (UTF-16), unlike text drawn with the standard fonts.
    info: { Title: title, Creator: 'Collab Docs', Producer: 'Collab Docs (pdfkit)' },
  });
  const chunks: Uint8Array[] = [];
  doc.on('data', (chunk: Uint8Array) => chunks.push(chunk));
  const ended = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('end', () => resolve(concat(chunks)));
    doc.on('error', reject);
  });
  registerFonts(doc);
  const writer = new PdfWriter(doc);
  writer.title(title);
  writer.blocks(content.content ?? [], { indent: 0, listLevel: 0, color: TEXT_COLOR, paragraphGap: PARAGRAPH_GAP });
  writer.pageNumbers();
  doc.end();
  return ended;
}

/** One fresh buffer the bytes own, so a worker can transfer it instead of copying. */
function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

class PdfWriter {
  private readonly doc: PDFKit.PDFDocument;
  private readonly left: number;
  private readonly width: number;
  /** Open bookmarks by heading level, so a heading nests under the nearest shallower one. */
  private readonly outlineStack: { level: number; item: PDFKit.PDFOutline }[] = [];

  constructor(doc: PDFKit.PDFDocument) {
    this.doc = doc;
    this.left = doc.page.margins.left;
    this.width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  }

  title(title: string): void {
    const doc = this.doc;
    this.runs(plainRuns(title, 'Helvetica-Bold', TITLE_SIZE, TEXT_COLOR, true), 0, 6);
    const y = doc.y;
    doc
      .moveTo(this.left, y)
      .lineTo(this.left + this.width, y)
      .lineWidth(0.75)
      .strokeColor(RULE_COLOR)
      .stroke();
    doc.y = y + 14;
  }

  blocks(nodes: ProseMirrorJson[], ctx: Context): void {
    for (const group of groupBlocks(nodes)) {
      if (group.kind === 'inline') this.paragraph(group.nodes, ctx);
      else this.block(group.node, ctx);
    }
  }

  private block(node: ProseMirrorJson, ctx: Context): void {
    switch (node.type) {
      case 'paragraph':
        this.paragraph(node.content ?? [], ctx);
        return;
      case 'heading':
        this.heading(node, ctx);
        return;
      case 'bulletList':
      case 'orderedList':
      case 'taskList':
        this.list(node, ctx);
        return;
      case 'table':
        this.ensureSpace(BODY_SIZE * 2);
        drawTable(this.doc, node, {
          x: this.left + ctx.indent,
          width: this.width - ctx.indent,
          color: ctx.color,
          gapAfter: ctx.paragraphGap,
        });
        this.doc.x = this.left;
        return;
      case 'blockquote':
        this.blockquote(node, ctx);
        return;
      case 'codeBlock':
        this.codeBlock(textContent(node), ctx);
        return;
      case 'horizontalRule':
        this.horizontalRule(ctx);
        return;
      case 'image': {
        const bytes = embeddableImage(node);
        const box = { x: this.left + ctx.indent, width: this.width - ctx.indent, gapAfter: ctx.paragraphGap };
        const room = { ...box, maxHeight: this.maxY() - this.doc.page.margins.top };
        if (bytes && drawImage(this.doc, bytes, room, (h) => this.ensureSpace(h))) return;
        const alt = stringAttr(node, 'alt');
        if (alt) this.paragraph([{ type: 'text', text: alt, marks: [{ type: 'italic' }] }], ctx);
        return;
      }
      default:
        // Unknown nodes print their content: text as paragraphs, blocks as blocks.
        this.blocks(node.content ?? [], ctx);
    }
  }

  private paragraph(inline: ProseMirrorJson[], ctx: Context, size = BODY_SIZE, bold = false): void {
    this.runs(inlineRuns(inline, { color: ctx.color, size, bold }), ctx.indent, ctx.paragraphGap, size);
  }

  private heading(node: ProseMirrorJson, ctx: Context): void {
    const level = integerAttr(node, 'level', 1, 1, 6);
    const size = HEADING_SIZES[level - 1]!;
    const doc = this.doc;
    if (doc.y > doc.page.margins.top) doc.y += size * 0.5;
    // Keep a heading with at least two lines of what follows it.
    this.ensureSpace(size * 1.4 + (BODY_SIZE + LINE_GAP) * 2);
    this.bookmark(level, node);
    this.paragraph(node.content ?? [], { ...ctx, paragraphGap: size * 0.35 }, size, true);
  }

  /** A bookmark in the viewer's outline pointing at the heading (outline titles are Unicode). */
  private bookmark(level: number, heading: ProseMirrorJson): void {
    const title = textContent(heading).replace(/\s+/g, ' ').trim();
    if (title === '') return;
    while ((this.outlineStack.at(-1)?.level ?? 0) >= level) this.outlineStack.pop();
    const parent = this.outlineStack.at(-1)?.item ?? this.doc.outline;
    // pdfkit measures `left` from the right edge: the page width puts the target at x = 0.
    // (@types/pdfkit knows only `expanded`; pdfkit 0.20 also takes the target position.)
    const target = { top: this.doc.y, left: this.doc.page.width } as { expanded?: boolean };
    const item = parent.addItem(title, target);
    this.outlineStack.push({ level, item });
  }

  private list(node: ProseMirrorJson, ctx: Context): void {
    const items = node.content ?? [];
    const ordered = node.type === 'orderedList';
    const start = integerAttr(node, 'start', 1, 0, 999_999_999);
    const doc = this.doc;
    doc.font('Helvetica').fontSize(BODY_SIZE);
    const widest = ordered
      ? `${start + Math.max(0, items.length - 1)}.`
      : node.type === 'taskList'
        ? TASK_MARKERS[1]
        : '•';
    const markerWidth = Math.max(18, doc.widthOfString(widest) + 8);
    const indent = Math.min(ctx.indent + markerWidth, this.width * MAX_INDENT_SHARE);
    const inner: Context = { ...ctx, indent, listLevel: ctx.listLevel + 1, paragraphGap: LIST_PARAGRAPH_GAP };
    items.forEach((item, i) => {
      const marker = ordered
        ? `${start + i}.`
        : node.type === 'taskList'
          ? TASK_MARKERS[item.attrs?.checked === true ? 1 : 0]
          : BULLETS[ctx.listLevel % BULLETS.length]!;
      this.listItem(item, inner, marker, markerWidth);
    });
    if (ctx.listLevel === 0) doc.y += PARAGRAPH_GAP - LIST_PARAGRAPH_GAP;
  }

  private listItem(item: ProseMirrorJson, ctx: Context, marker: string, markerWidth: number): void {
    const doc = this.doc;
    this.ensureSpace(BODY_SIZE + LINE_GAP);
    const y = doc.y;
    doc.font('Helvetica').fontSize(BODY_SIZE).fillColor(ctx.color);
    doc.text(marker, this.left + ctx.indent - markerWidth, y, {
      width: markerWidth - 6,
      align: 'right',
      lineBreak: false,
      continued: false,
      underline: false,
      strike: false,
      link: null,
    });
    doc.x = this.left;
    doc.y = y;
    const children = item.type === 'listItem' || item.type === 'taskItem' ? (item.content ?? []) : [item];
    if (children.length === 0) doc.y += BODY_SIZE + LINE_GAP + LIST_PARAGRAPH_GAP;
    this.blocks(children, ctx);
  }

  private blockquote(node: ProseMirrorJson, ctx: Context): void {
    const doc = this.doc;
    const ruleX = this.left + ctx.indent + 3;
    const startPage = this.pageIndex();
    const startY = doc.y;
    const indent = Math.min(ctx.indent + QUOTE_INDENT, this.width * MAX_INDENT_SHARE);
    this.blocks(node.content ?? [], { ...ctx, indent, color: QUOTE_COLOR });
    const endPage = this.pageIndex();
    const endY = doc.y - ctx.paragraphGap;
    // The rule follows the quote across page breaks: one segment per page it touches.
    for (let page = startPage; page <= endPage; page++) {
      doc.switchToPage(page);
      const top = page === startPage ? startY : doc.page.margins.top;
      const bottom = page === endPage ? endY : doc.page.height - doc.page.margins.bottom;
      if (bottom > top) doc.moveTo(ruleX, top).lineTo(ruleX, bottom).lineWidth(2).strokeColor(RULE_COLOR).stroke();
    }
    doc.switchToPage(endPage);
    doc.y = endY + ctx.paragraphGap;
  }

  /** Shaded monospace lines; a block taller than the space left is split across pages. */
  private codeBlock(code: string, ctx: Context): void {
    const doc = this.doc;
    const x = this.left + ctx.indent;
    const width = this.width - ctx.indent;
    const textWidth = width - CODE_PADDING * 2;
    const options = { width: textWidth, lineGap: 1, lineBreak: true };
    doc.font('Courier').fontSize(CODE_SIZE);
    const lines = code.replace(/\n$/, '').split('\n');
    // Measured in Courier; a character from a fallback font is about as wide.
    const heights = lines.map((line) => doc.heightOfString(line === '' ? ' ' : toWinAnsi(line), options));
    let next = 0;
    while (next < lines.length) {
      const room = this.maxY() - doc.y - CODE_PADDING * 2;
      let end = next;
      let height = 0;
      while (end < lines.length && height + heights[end]! <= room) height += heights[end++]!;
      if (end === next) {
        // Not even one line fits: on a fresh page, draw it anyway (it wraps); else start one.
        if (doc.y > doc.page.margins.top + 1) {
          doc.addPage();
          continue;
        }
        height = heights[end++]!;
      }
      const y = doc.y;
      doc.rect(x, y, width, height + CODE_PADDING * 2).fill(CODE_BACKGROUND);
      let lineY = y + CODE_PADDING;
      for (let i = next; i < end; i++) {
        this.codeLine(lines[i]!, x + CODE_PADDING, lineY, options);
        lineY += heights[i]!;
      }
      doc.x = this.left;
      doc.y = y + height + CODE_PADDING * 2;
      next = end;
      if (next < lines.length) doc.addPage();
    }
    doc.y += ctx.paragraphGap;
  }

  /** One code line in Courier, characters Courier lacks in the fallback fonts (pdf-fonts.ts). */
  private codeLine(line: string, x: number, y: number, options: PDFKit.Mixins.TextOptions): void {
    const doc = this.doc;
    const segments = segmentText(line === '' ? ' ' : line, 'Courier', 'regular');
    segments.forEach((segment, i) => {
      doc.font(segment.font).fontSize(CODE_SIZE).fillColor(TEXT_COLOR);
      const run: PDFKit.Mixins.TextOptions = {
        ...options,
        baseline: -0.718 * CODE_SIZE,
        continued: i < segments.length - 1,
        underline: false,
        strike: false,
        link: null,
        ...layoutOptions(segment.font),
      };
      if (i === 0) doc.text(segment.text, x, y, run);
      else doc.text(segment.text, run);
    });
  }

  private horizontalRule(ctx: Context): void {
    const doc = this.doc;
    this.ensureSpace(14);
    const y = doc.y + 5;
    doc
      .moveTo(this.left + ctx.indent, y)
      .lineTo(this.left + this.width, y)
      .lineWidth(0.75)
      .strokeColor(RULE_COLOR)
      .stroke();
    doc.y = y + 9;
  }

  /** Writes runs as one flowing paragraph (pdfkit continued text) at the given indent. */
  private runs(runs: Run[], indent: number, gapAfter: number, emptyLineSize = BODY_SIZE): void {
    const doc = this.doc;
    if (runs.length === 0) {
      doc.y += emptyLineSize + LINE_GAP + gapAfter;
      return;
    }
    flowRuns(doc, runs, this.left + indent, this.width - indent, LINE_GAP);
    doc.x = this.left;
    doc.y += gapAfter;
  }

  pageNumbers(): void {
    const doc = this.doc;
    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const bottom = doc.page.margins.bottom;
      // Writing inside the bottom margin would make pdfkit start a new page; lift the margin meanwhile.
      doc.page.margins.bottom = 0;
      doc
        .font('Helvetica')
        .fontSize(FOOTER_SIZE)
        .fillColor('#666666')
        .text(`Page ${i + 1} of ${range.count}`, this.left, doc.page.height - bottom / 2 - FOOTER_SIZE / 2, {
          width: this.width,
          align: 'center',
          lineBreak: false,
          continued: false,
          underline: false,
          strike: false,
          link: null,
        });
      doc.page.margins.bottom = bottom;
    }
  }

  private pageIndex(): number {
    const range = this.doc.bufferedPageRange();
    return range.start + range.count - 1;
  }

  private maxY(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  private ensureSpace(height: number): void {
    if (this.doc.y + height > this.maxY()) this.doc.addPage();
  }
}
