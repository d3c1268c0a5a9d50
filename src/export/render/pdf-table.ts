/**
 * Tables in the PDF export: a grid of equal-share columns (or the editor's column widths, scaled
 * to the page), header cells bold on a shaded background, cell text wrapped inside its column.
 * A row that does not fit on the page starts a new one (a row taller than a page still wraps,
 * unruled past the page end, rather than being cut). Cell blocks print as paragraphs: a table
 * cell in a PDF carries text, not layout.
 */
import {
  hasInlineContent,
  integerAttr,
  maxNestingDepth,
  type ProseMirrorJson,
} from '../../content/prosemirror-json.ts';
import { flowRuns, inlineRuns, type Run } from './pdf-inline.ts';

const CELL_PADDING = 4;
const CELL_SIZE = 10;
const LINE_GAP = 1.5;
const BORDER_COLOR = '#bbbbbb';
const HEADER_BACKGROUND = '#f0f0f0';
const MAX_SPAN = 1000;

export type TableFrame = { x: number; width: number; color: string; gapAfter: number };

type Cell = { paragraphs: Run[][]; header: boolean; span: number };

/** The inline content of every text block in a cell, in order (lists, quotes and code flattened). */
function cellParagraphs(cell: ProseMirrorJson, header: boolean, color: string): Run[][] {
  const out: Run[][] = [];
  const collect = (node: ProseMirrorJson, depth: number) => {
    if (depth > maxNestingDepth) return;
    if (node.type === 'text' || hasInlineContent(node)) {
      const inline = node.type === 'text' ? [node] : (node.content ?? []);
      out.push(inlineRuns(inline, { color, size: CELL_SIZE, bold: header }));
    } else for (const child of node.content ?? []) collect(child, depth + 1);
  };
  for (const child of cell.content ?? []) collect(child, 1);
  return out;
}

export function drawTable(doc: PDFKit.PDFDocument, table: ProseMirrorJson, frame: TableFrame): void {
  const rows: Cell[][] = (table.content ?? []).map((row) =>
    (row.content ?? []).map((cell) => {
      const header = cell.type === 'tableHeader';
      return {
        paragraphs: cellParagraphs(cell, header, frame.color),
        header,
        span: integerAttr(cell, 'colspan', 1, 1, MAX_SPAN),
      };
    }),
  );
  const columns = Math.max(1, ...rows.map((row) => row.reduce((sum, cell) => sum + cell.span, 0)));
  const columnWidth = frame.width / columns;
  const maxY = () => doc.page.height - doc.page.margins.bottom;
  for (const row of rows) {
    const widths = row.map((cell) => cell.span * columnWidth);
    const height = Math.max(...row.map((cell, i) => cellHeight(doc, cell, widths[i]!)), CELL_SIZE + CELL_PADDING * 2);
    if (doc.y + height > maxY() && doc.y > doc.page.margins.top + 1) doc.addPage();
    const top = doc.y;
    let x = frame.x;
    let bottom = top + height;
    row.forEach((cell, i) => {
      const width = widths[i]!;
      if (cell.header) doc.rect(x, top, width, height).fill(HEADER_BACKGROUND);
      doc.y = top + CELL_PADDING;
      for (const paragraph of cell.paragraphs) writeRuns(doc, paragraph, x + CELL_PADDING, width - CELL_PADDING * 2);
      bottom = Math.max(bottom, doc.y + CELL_PADDING);
      x += width;
    });
    // Borders after the text, so a shaded header cell does not cover its neighbour's rule.
    x = frame.x;
    for (const width of widths) {
      doc
        .rect(x, top, width, bottom - top)
        .lineWidth(0.5)
        .strokeColor(BORDER_COLOR)
        .stroke();
      x += width;
    }
    doc.x = frame.x;
    doc.y = bottom;
  }
  doc.y += frame.gapAfter;
}

function cellHeight(doc: PDFKit.PDFDocument, cell: Cell, width: number): number {
  let height = CELL_PADDING * 2;
  for (const runs of cell.paragraphs) {
    const text = runs.map((run) => run.text).join('') || ' ';
    doc.font(runs[0]?.font ?? 'Helvetica').fontSize(CELL_SIZE);
    height += doc.heightOfString(text, { width: width - CELL_PADDING * 2, lineGap: LINE_GAP });
  }
  return height;
}

function writeRuns(doc: PDFKit.PDFDocument, runs: Run[], x: number, width: number): void {
  if (runs.length === 0) {
    doc.y += CELL_SIZE + LINE_GAP;
    return;
  }
  flowRuns(doc, runs, x, width, LINE_GAP);
}
