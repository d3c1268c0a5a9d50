/**
 * Fonts for every script in the PDF export, with fallback per character. Text the standard
 * fonts can show (WinAnsi: Western European Latin) stays in Helvetica/Courier, so such documents
 * embed nothing; every other character goes to the first embedded font that has a glyph for it:
 * Noto Sans (all of Latin, Greek, Cyrillic), Noto Sans Hebrew, Noto Naskh Arabic, Noto Sans CJK
 * (Chinese, Japanese, Korean), Noto Sans Symbols 1 and 2, then Symbola (monochrome emoji). A
 * character no font has prints as "□", never "?". pdfkit shapes through fontkit (Arabic joining
 * forms) and lays right-to-left runs out right to left; a paragraph whose first strong character
 * is right-to-left is right-aligned.
 *
 * The fonts are Debian's (fonts-noto-core, fonts-noto-cjk, fonts-symbola; SIL Open Font License
 * 1.1, Symbola free for any use; installed by .ci/run and deploy/Dockerfile). Without them the
 * export falls back to the standard fonts and win-ansi.ts' replacements, as before.
 */
import { existsSync } from 'node:fs';
import * as fontkit from 'fontkit';
import { encodable, toWinAnsi } from './win-ansi.ts';

const NOTO = '/usr/share/fonts/truetype/noto';
const NOTO_CJK = '/usr/share/fonts/opentype/noto';
const SYMBOLA = '/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf';

export type Weight = 'regular' | 'bold' | 'italic' | 'boldItalic';

/** One embeddable face: the name pdfkit registers it under, its file, its name inside a collection. */
type Face = { name: string; file: string; postscript?: string };

const face = (name: string, file: string, postscript?: string): Face => ({ name, file, postscript });

/** Fallback order per weight: the first face with a glyph wins. */
const CHAINS: Record<Weight, Face[]> = {
  regular: [
    face('Noto-Sans', `${NOTO}/NotoSans-Regular.ttf`),
    face('Noto-Hebrew', `${NOTO}/NotoSansHebrew-Regular.ttf`),
    face('Noto-Arabic', `${NOTO}/NotoNaskhArabic-Regular.ttf`),
    face('Noto-CJK', `${NOTO_CJK}/NotoSansCJK-Regular.ttc`, 'NotoSansCJKsc-Regular'),
    face('Noto-Symbols', `${NOTO}/NotoSansSymbols-Regular.ttf`),
    face('Noto-Symbols2', `${NOTO}/NotoSansSymbols2-Regular.ttf`),
    face('Symbola', SYMBOLA),
  ],
  bold: [
    face('Noto-Sans-Bold', `${NOTO}/NotoSans-Bold.ttf`),
    face('Noto-Hebrew-Bold', `${NOTO}/NotoSansHebrew-Bold.ttf`),
    face('Noto-Arabic-Bold', `${NOTO}/NotoNaskhArabic-Bold.ttf`),
    face('Noto-CJK-Bold', `${NOTO_CJK}/NotoSansCJK-Bold.ttc`, 'NotoSansCJKsc-Bold'),
  ],
  italic: [face('Noto-Sans-Italic', `${NOTO}/NotoSans-Italic.ttf`)],
  boldItalic: [face('Noto-Sans-BoldItalic', `${NOTO}/NotoSans-BoldItalic.ttf`)],
};

/** Faces present on this machine, opened once per process (fontkit parses tables lazily). */
const opened = new Map<string, fontkit.Font | null>();

function open(f: Face): fontkit.Font | null {
  let font = opened.get(f.name);
  if (font === undefined) {
    try {
      font = existsSync(f.file) ? fontkit.openSync(f.file, f.postscript) : null;
    } catch {
      font = null;
    }
    opened.set(f.name, font);
  }
  return font;
}

/** The faces to try for a weight: its own, then regular's for scripts that have no bold or italic. */
function chain(weight: Weight): Face[] {
  const own = CHAINS[weight];
  const names = new Set(own.map((f) => f.name));
  const fallback =
    weight === 'regular' ? [] : weight === 'boldItalic' ? [...CHAINS.bold, ...CHAINS.regular] : CHAINS.regular;
  return [...own, ...fallback.filter((f) => !names.has(f.name))].filter((f) => open(f) !== null);
}

/** Whether the embedded fonts are installed (else the export keeps the standard fonts only). */
export function unicodeFontsAvailable(): boolean {
  return open(CHAINS.regular[0]!) !== null;
}

/** Registers every installed face with a document, so runs can name them (nothing loads until used). */
export function registerFonts(doc: PDFKit.PDFDocument): void {
  for (const faces of Object.values(CHAINS)) {
    for (const f of faces) if (open(f) !== null) doc.registerFont(f.name, f.file, f.postscript ?? '');
  }
}

export type Segment = { text: string; font: string };

const MISSING = '□';
/** Spaces of every width become a plain space; zero-width characters, selectors and controls go. */
const spaces = /[\u2000-\u200a\u202f\u205f\u3000]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets removed
const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** Zero-width characters and emoji/text presentation selectors: nothing to draw. */
const invisible = /\u200b|\u200c|\u200d|[\u2060-\u2064]|\ufeff|\u00ad|\p{Variation_Selector}/gu;

/** Words (letters, marks, digits), an emoji with its skin tone, or any other single character. */
const tokens = /[\p{L}\p{M}\p{N}]+|\p{Extended_Pictographic}\p{Emoji_Modifier}?|[\s\S]/gu;
const wordChar = /^[\p{L}\p{M}\p{N}]/u;

/**
 * Splits text into runs by font. A word the standard font can show stays in `standard` (a
 * standard font name); any other word goes whole to the first installed face of `weight`'s chain
 * that has all its characters (so "Łódź" is not drawn in two fonts), else character by character.
 * Spaces and punctuation stay in the font of the run they are in when it has them, so a Hebrew or
 * Arabic phrase is one right-to-left run. Without the fonts, the text is made WinAnsi-safe.
 */
export function segmentText(text: string, standard: string, weight: Weight): Segment[] {
  if (!unicodeFontsAvailable()) return [{ text: toWinAnsi(text), font: standard }];
  const cleaned = text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    .replace(spaces, ' ')
    .replace(controls, '')
    .replace(invisible, '');
  // Most text needs no embedded font at all.
  if (toWinAnsi(cleaned) === cleaned) return [{ text: cleaned, font: standard }];
  const faces = chain(weight);
  const has = (f: Face, chars: string) => {
    const font = open(f)!;
    for (const char of chars) if (!font.hasGlyphForCodePoint(char.codePointAt(0)!)) return false;
    return true;
  };
  const segments: Segment[] = [];
  const push = (chars: string, font: string) => {
    const last = segments.at(-1);
    if (last?.font === font) last.text += chars;
    else segments.push({ text: chars, font });
  };
  const standardCan = (chars: string) => {
    for (const char of chars) if (!encodable(char.codePointAt(0)!) && char !== '\n') return false;
    return true;
  };
  for (const [token] of cleaned.matchAll(tokens)) {
    const current = faces.find((f) => f.name === segments.at(-1)?.font);
    if (!wordChar.test(token) && current && token !== '\n' && has(current, token)) push(token, current.name);
    else if (standardCan(token)) push(token, standard);
    else {
      const whole = faces.find((f) => has(f, token));
      if (whole) push(token, whole.name);
      else for (const char of token) pushChar(char, faces, standard, push);
    }
  }
  const trimmed = segments.flatMap((segment) =>
    RTL_FACES.has(segment.font) ? trimEdges(segment, standard) : [segment],
  );
  return trimmed.reduce<Segment[]>((out, segment) => {
    const last = out.at(-1);
    if (last?.font === segment.font) last.text += segment.text;
    else out.push({ ...segment });
    return out;
  }, []);
}

/** Spaces at the edges of a right-to-left run would be laid out at its opposite edge: they go outside it. */
function trimEdges(segment: Segment, standard: string): Segment[] {
  const match = /^( *)(.*?)( *)$/su.exec(segment.text)!;
  const out: Segment[] = [];
  if (match[1]) out.push({ text: match[1], font: standard });
  if (match[2]) out.push({ text: match[2], font: segment.font });
  if (match[3]) out.push({ text: match[3], font: standard });
  return out;
}

function pushChar(char: string, faces: Face[], standard: string, push: (chars: string, font: string) => void): void {
  const codePoint = char.codePointAt(0)!;
  const found = encodable(codePoint) ? undefined : faces.find((f) => open(f)!.hasGlyphForCodePoint(codePoint));
  if (encodable(codePoint)) push(char, standard);
  else if (found) push(char, found.name);
  else {
    // A character no font has: visibly missing, never a question mark.
    const box = faces.find((f) => open(f)!.hasGlyphForCodePoint(MISSING.codePointAt(0)!));
    push(box ? MISSING : `[U+${codePoint.toString(16).toUpperCase()}]`, box?.name ?? standard);
  }
}

/** Faces of right-to-left scripts. */
const RTL_FACES = new Set(['Noto-Hebrew', 'Noto-Hebrew-Bold', 'Noto-Arabic', 'Noto-Arabic-Bold']);

/**
 * pdfkit text options for a run in `font`. pdfkit lays text out word by word unless features are
 * given, and fontkit reverses each right-to-left piece on its own: a Hebrew or Arabic run must be
 * laid out whole (per line) or its words come out in the wrong order with the spaces at the edge.
 */
export function layoutOptions(font: string): { features?: PDFKit.Mixins.OpenTypeFeatures[] } {
  return RTL_FACES.has(font) ? { features: [] } : {};
}

const rtlChar = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/u;
const strongChar = /[\p{L}]/u;

/** Whether a paragraph reads right to left: its first strong character is Hebrew or Arabic. */
export function isRightToLeft(text: string): boolean {
  for (const char of text) if (strongChar.test(char)) return rtlChar.test(char);
  return false;
}
