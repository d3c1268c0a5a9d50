/**
 * The Word styles, list numbering definitions and footer every DOCX export carries: custom
 * Quote, Code Block, List Bullet/List Number and Inline Code styles beside docx's built-in
 * Title and Heading1–6, one bullet definition and one decimal definition per first number used.
 */
import {
  AlignmentType,
  BorderStyle,
  Footer,
  type ILevelsOptions,
  type INumberingOptions,
  type IStylesOptions,
  LevelFormat,
  PageNumber,
  Paragraph,
  ShadingType,
  TextRun,
} from 'docx';

export const MONOSPACE = 'Courier New';
export const BULLET_REFERENCE = 'bullet';
/** Word numbering has nine levels (0–8); deeper lists stay at the last one. */
export const LEVELS = 9;
const INDENT_STEP_TWIPS = 360;
const BULLET_SYMBOLS = ['•', '◦', '▪'];

export function orderedReference(start: number): string {
  return `ordered-${start}`;
}

export const DOCX_STYLES: IStylesOptions = {
  paragraphStyles: [
    {
      id: 'Quote',
      name: 'Quote',
      basedOn: 'Normal',
      next: 'Normal',
      quickFormat: true,
      run: { italics: true, color: '404040' },
      paragraph: {
        indent: { left: 720 },
        border: { left: { style: BorderStyle.SINGLE, size: 12, color: 'BBBBBB', space: 8 } },
      },
    },
    {
      id: 'CodeBlock',
      name: 'Code Block',
      basedOn: 'Normal',
      next: 'Normal',
      quickFormat: true,
      run: { font: MONOSPACE, size: 19 },
      paragraph: {
        spacing: { before: 120, after: 120, line: 240 },
        shading: { type: ShadingType.CLEAR, color: 'auto', fill: 'F2F2F2' },
      },
    },
    {
      id: 'ListBullet',
      name: 'List Bullet',
      basedOn: 'Normal',
      quickFormat: true,
      paragraph: { spacing: { after: 60 } },
    },
    {
      id: 'ListNumber',
      name: 'List Number',
      basedOn: 'Normal',
      quickFormat: true,
      paragraph: { spacing: { after: 60 } },
    },
  ],
  characterStyles: [
    { id: 'InlineCode', name: 'Inline Code', basedOn: 'DefaultParagraphFont', run: { font: MONOSPACE } },
    { id: 'Hyperlink', name: 'Hyperlink', basedOn: 'DefaultParagraphFont', run: { color: '0563C1', underline: {} } },
  ],
};

function levels(format: 'bullet' | 'decimal', start: number): ILevelsOptions[] {
  return Array.from({ length: LEVELS }, (_, level) => ({
    level,
    format: format === 'bullet' ? LevelFormat.BULLET : LevelFormat.DECIMAL,
    text: format === 'bullet' ? BULLET_SYMBOLS[level % BULLET_SYMBOLS.length]! : `%${level + 1}.`,
    start: level === 0 ? start : 1,
    alignment: AlignmentType.LEFT,
    style: { paragraph: { indent: { left: INDENT_STEP_TWIPS * 2 * (level + 1), hanging: INDENT_STEP_TWIPS } } },
  }));
}

/** Numbering definitions for the bullet lists and for ordered lists with these first numbers. */
export function numberingFor(orderedStarts: Iterable<number>): INumberingOptions {
  return {
    config: [
      { reference: BULLET_REFERENCE, levels: levels('bullet', 1) },
      ...[...orderedStarts].map((start) => ({ reference: orderedReference(start), levels: levels('decimal', start) })),
    ],
  };
}

export function pageNumberFooter(): Footer {
  return new Footer({
    children: [
      new Paragraph({
        alignment: AlignmentType.CENTER,
        children: [new TextRun({ children: ['Page ', PageNumber.CURRENT, ' of ', PageNumber.TOTAL_PAGES] })],
      }),
    ],
  });
}
