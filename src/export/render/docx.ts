/**
 * The DOCX export with `docx`: real Word styles (Title, Heading1–6, ListBullet/ListNumber on
 * real numbering definitions with nested levels, Quote, CodeBlock and InlineCode in a monospace
 * font), hyperlinks, styled runs and "Page N of M" in the footer, so the file stays editable in
 * Word the way a hand-made one is. Comment threads [E10] are real Word comments on their text
 * (docx-comments.ts): replies threaded under the first comment, resolved ones marked done.
 */
import {
  BorderStyle,
  Document,
  ExternalHyperlink,
  HeadingLevel,
  type INumberingOptions,
  Packer,
  Paragraph,
  type ParagraphChild,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import { integerAttr, type ProseMirrorJson, stringAttr, textContent } from '../../content/prosemirror-json.ts';
import { safeLinkHref } from '../../content/safe-url.ts';
import { groupBlocks } from './block-groups.ts';
import { atomNumber, COMMENT_REF, COMMENT_START, type CommentNote } from './comment-notes.ts';
import { deletedTextBlocks, WordComments } from './docx-comments.ts';
import { imageParagraph } from './docx-image.ts';
import {
  BULLET_REFERENCE,
  DOCX_STYLES,
  LEVELS,
  MONOSPACE,
  numberingFor,
  orderedReference,
  pageNumberFooter,
} from './docx-styles.ts';

const HEADINGS = [
  HeadingLevel.HEADING_1,
  HeadingLevel.HEADING_2,
  HeadingLevel.HEADING_3,
  HeadingLevel.HEADING_4,
  HeadingLevel.HEADING_5,
  HeadingLevel.HEADING_6,
];
/** A Word hyperlink needs an absolute target; a relative link keeps its text only. */
const absoluteLink = /^(https?|mailto):/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: characters XML 1.0 forbids are what gets removed
const notXml = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Word would refuse the whole file over one control character or lone surrogate. */
function xmlText(text: string): string {
  return text.toWellFormed().replace(notXml, '');
}

type Context = { quote: boolean; listLevel: number };

type Marks = {
  bold: boolean;
  italics: boolean;
  strike: boolean;
  underline: boolean;
  highlight: boolean;
  code: boolean;
};

type Block = Paragraph | Table;

const TASK_BOXES = ['☐', '☒'] as const;
const MAX_SPAN = 1000;

export async function toDocx(title: string, content: ProseMirrorJson, notes: CommentNote[] = []): Promise<Uint8Array> {
  const comments = new WordComments(notes, xmlText);
  const writer = new DocxWriter(comments);
  const children = [
    new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun(xmlText(title))] }),
    ...writer.blocks([...(content.content ?? []), ...deletedTextBlocks(notes)], { quote: false, listLevel: 0 }),
  ];
  const document = new Document({
    title: xmlText(title),
    creator: 'Collab Docs',
    styles: DOCX_STYLES,
    numbering: writer.numbering(),
    ...(notes.length > 0 && { comments: comments.options() }),
    sections: [
      {
        footers: { default: pageNumberFooter() },
        children,
      },
    ],
  });
  return new Uint8Array(await Packer.toArrayBuffer(document));
}

class DocxWriter {
  /** Ordered lists by their first number: each start needs its own abstract definition. */
  private readonly orderedStarts = new Set<number>([1]);
  /** Every list gets its own instance, so numbering restarts per list. */
  private nextInstance = 1;
  private readonly comments: WordComments;

  constructor(comments: WordComments) {
    this.comments = comments;
  }

  numbering(): INumberingOptions {
    return numberingFor(this.orderedStarts);
  }

  blocks(nodes: ProseMirrorJson[], ctx: Context): Block[] {
    return groupBlocks(nodes).flatMap((group) =>
      group.kind === 'inline' ? [this.paragraph(group.nodes, ctx)] : this.block(group.node, ctx),
    );
  }

  private block(node: ProseMirrorJson, ctx: Context): Block[] {
    switch (node.type) {
      case 'paragraph':
        return [this.paragraph(node.content ?? [], ctx)];
      case 'heading': {
        const level = integerAttr(node, 'level', 1, 1, 6);
        return [new Paragraph({ heading: HEADINGS[level - 1]!, children: this.inline(node.content ?? []) })];
      }
      case 'bulletList':
      case 'orderedList':
      case 'taskList':
        return this.list(node, ctx);
      case 'table':
        return this.table(node, ctx);
      case 'blockquote':
        return this.blocks(node.content ?? [], { ...ctx, quote: true });
      case 'codeBlock':
        return [this.codeBlock(textContent(node))];
      case 'horizontalRule':
        return [
          new Paragraph({
            border: { bottom: { style: BorderStyle.SINGLE, size: 6, color: 'BBBBBB', space: 1 } },
            children: [],
          }),
        ];
      case 'image': {
        const picture = imageParagraph(node);
        if (picture) return [picture];
        const alt = stringAttr(node, 'alt');
        return alt ? [this.paragraph([{ type: 'text', text: alt, marks: [{ type: 'italic' }] }], ctx)] : [];
      }
      default:
        // Unknown nodes print their content: text as paragraphs, blocks as blocks.
        return this.blocks(node.content ?? [], ctx);
    }
  }

  private paragraph(inline: ProseMirrorJson[], ctx: Context): Paragraph {
    return new Paragraph({ style: ctx.quote ? 'Quote' : undefined, children: this.inline(inline) });
  }

  /** A real Word table; a first row of header cells repeats on every page. */
  private table(node: ProseMirrorJson, ctx: Context): Block[] {
    const rows = (node.content ?? []).filter((row) => (row.content ?? []).length > 0);
    if (rows.length === 0) return [];
    const table = new Table({
      width: { size: 100, type: WidthType.PERCENTAGE },
      rows: rows.map(
        (row, r) =>
          new TableRow({
            tableHeader: r === 0 && (row.content ?? []).every((cell) => cell.type === 'tableHeader'),
            children: (row.content ?? []).map((cell) => {
              const blocks = this.blocks(cell.content ?? [], { ...ctx, listLevel: 0 });
              const header = cell.type === 'tableHeader';
              return new TableCell({
                columnSpan: integerAttr(cell, 'colspan', 1, 1, MAX_SPAN),
                rowSpan: integerAttr(cell, 'rowspan', 1, 1, MAX_SPAN),
                shading: header ? { fill: 'F0F0F0' } : undefined,
                // Word needs at least one paragraph in a cell.
                children: blocks.length > 0 ? blocks : [new Paragraph({})],
              });
            }),
          }),
      ),
    });
    // Two tables in a row would merge into one in Word: an empty paragraph keeps them apart.
    return [table, new Paragraph({})];
  }

  private list(node: ProseMirrorJson, ctx: Context): Block[] {
    const ordered = node.type === 'orderedList';
    const start = integerAttr(node, 'start', 1, 0, 999_999_999);
    if (ordered) this.orderedStarts.add(start);
    const reference = ordered ? orderedReference(start) : BULLET_REFERENCE;
    const instance = this.nextInstance++;
    const level = Math.min(ctx.listLevel, LEVELS - 1);
    const inner: Context = { ...ctx, listLevel: ctx.listLevel + 1 };
    const out: Block[] = [];
    const tasks = node.type === 'taskList';
    for (const item of node.content ?? []) {
      const wrapper = item.type === 'listItem' || item.type === 'taskItem';
      const groups = groupBlocks(wrapper ? (item.content ?? []) : [item]);
      // The item's first text (its first paragraph, usually) carries the bullet or number; an
      // item opening with anything else (a nested list, code) gets an empty numbered paragraph.
      const first = groups[0];
      let rest = groups;
      let inline: ProseMirrorJson[] = [];
      if (first?.kind === 'inline') {
        inline = first.nodes;
        rest = groups.slice(1);
      } else if (first?.kind === 'block' && first.node.type === 'paragraph') {
        inline = first.node.content ?? [];
        rest = groups.slice(1);
      }
      out.push(
        new Paragraph({
          style: ordered ? 'ListNumber' : 'ListBullet',
          numbering: { reference, level, instance },
          children: tasks
            ? [new TextRun(`${TASK_BOXES[item.attrs?.checked === true ? 1 : 0]} `), ...this.inline(inline)]
            : this.inline(inline),
        }),
      );
      for (const group of rest) {
        if (group.kind === 'inline') out.push(this.paragraph(group.nodes, inner));
        else out.push(...this.block(group.node, inner));
      }
    }
    return out;
  }

  private codeBlock(code: string): Paragraph {
    const lines = xmlText(code.replace(/\n$/, '').replace(/\t/g, '    ')).split('\n');
    return new Paragraph({
      style: 'CodeBlock',
      children: lines.map((line, i) => new TextRun({ text: line, break: i > 0 ? 1 : undefined })),
    });
  }

  /** Runs for inline content; consecutive runs linking to the same URL share one hyperlink. */
  private inline(nodes: ProseMirrorJson[]): ParagraphChild[] {
    const out: ParagraphChild[] = [];
    let linkRuns: TextRun[] = [];
    let linkHref: string | undefined;
    const flushLink = () => {
      if (linkHref !== undefined && linkRuns.length > 0) {
        out.push(new ExternalHyperlink({ link: linkHref, children: linkRuns }));
      }
      linkRuns = [];
      linkHref = undefined;
    };
    for (const node of nodes) {
      if (node.type === 'hardBreak') {
        flushLink();
        out.push(new TextRun({ break: 1 }));
        continue;
      }
      if (node.type === COMMENT_START || node.type === COMMENT_REF) {
        // A Word comment's range marks sit between runs, outside any hyperlink.
        flushLink();
        const n = atomNumber(node);
        if (n !== undefined)
          out.push(...(node.type === COMMENT_START ? this.comments.starts(n) : this.comments.ends(n)));
        continue;
      }
      const raw =
        node.type === 'text' ? (node.text ?? '') : (stringAttr(node, 'label') ?? stringAttr(node, 'alt') ?? '');
      const text = xmlText(raw);
      if (text === '') continue;
      const has = (type: string) => node.marks?.some((mark) => mark.type === type) ?? false;
      const marks: Marks = {
        bold: has('bold'),
        italics: has('italic'),
        strike: has('strike'),
        underline: has('underline'),
        highlight: has('highlight'),
        code: has('code'),
      };
      const href = safeLinkHref(node.marks?.find((mark) => mark.type === 'link')?.attrs?.href);
      const link = href !== undefined && absoluteLink.test(href) ? href : undefined;
      if (link !== linkHref) flushLink();
      if (link === undefined) {
        out.push(run(text, marks, undefined));
      } else {
        linkHref = link;
        linkRuns.push(run(text, marks, 'Hyperlink'));
      }
    }
    flushLink();
    return out;
  }
}

function run(text: string, marks: Marks, style: string | undefined): TextRun {
  return new TextRun({
    text,
    style: style ?? (marks.code ? 'InlineCode' : undefined),
    font: style !== undefined && marks.code ? MONOSPACE : undefined,
    bold: marks.bold || undefined,
    italics: marks.italics || undefined,
    strike: marks.strike || undefined,
    underline: marks.underline ? {} : undefined,
    highlight: marks.highlight ? 'yellow' : undefined,
  });
}
