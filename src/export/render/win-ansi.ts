/**
 * Text for the 14 standard PDF fonts (Helvetica, Courier), which are WinAnsi-encoded: Latin-1
 * plus a few typographic characters. pdfkit writes any other character as a meaningless code
 * (an emoji becomes garbage glyphs, not an error), so every string is mapped here first: accents
 * are kept where a precomposed Latin-1 letter exists, other letters lose their diacritics
 * (ő → o), common punctuation gets an ASCII look-alike, and the rest becomes "?".
 * With the Unicode fonts installed, pdf-fonts.ts sends such characters to an embedded font instead.
 */

/** Code points above Latin-1 that WinAnsi has (pdfkit's WIN_ANSI_MAP). */
const winAnsiExtras = new Set([
  0x0152, 0x0153, 0x0160, 0x0161, 0x0178, 0x017d, 0x017e, 0x0192, 0x02c6, 0x02dc, 0x2013, 0x2014, 0x2018, 0x2019,
  0x201a, 0x201c, 0x201d, 0x201e, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a, 0x20ac, 0x2122,
]);

const lookAlikes = new Map<number, string>([
  // Letters with a stroke do not decompose.
  [0x0141, 'L'],
  [0x0142, 'l'],
  [0x0110, 'D'],
  [0x0111, 'd'],
  [0x0126, 'H'],
  [0x0127, 'h'],
  [0x0131, 'i'],
  [0x2010, '-'], // hyphen
  [0x2011, '-'], // non-breaking hyphen
  [0x2012, '-'], // figure dash
  [0x2015, '—'], // horizontal bar
  [0x2212, '-'], // minus sign
  [0x2032, "'"], // prime
  [0x2033, '"'], // double prime
  [0x2044, '/'], // fraction slash
  [0x2190, '<-'],
  [0x2192, '->'],
  [0x21d2, '=>'],
  [0x2264, '<='],
  [0x2265, '>='],
  [0x2260, '!='],
  [0x2248, '~'],
  [0x25cf, '•'],
  [0x25e6, '°'],
  [0x2713, 'v'],
  [0x2717, 'x'],
]);

/** Spaces of every width become a plain space; zero-width characters vanish. */
const spaces = /[\u2000-\u200a\u202f\u205f\u3000]/g;
const invisible = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]/g;
/** Emoji and text presentation selectors: nothing to show once the symbol itself is gone. */
const variationSelectors = /\p{Variation_Selector}/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets removed
const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const combiningMarks = /\p{M}/gu;

export const REPLACEMENT = '?';

/** Whether a standard (WinAnsi) font has the character. */
export function encodable(codePoint: number): boolean {
  return (
    (codePoint >= 0x20 && codePoint <= 0x7e) || (codePoint >= 0xa0 && codePoint <= 0xff) || winAnsiExtras.has(codePoint)
  );
}

function mapCharacter(char: string): string {
  const codePoint = char.codePointAt(0)!;
  if (encodable(codePoint) || char === '\n') return char;
  if (char === '\t') return '    ';
  const lookAlike = lookAlikes.get(codePoint);
  if (lookAlike !== undefined) return lookAlike;
  // Compatibility decomposition keeps the base letter (ő → o, ﬁ → fi, ² → 2).
  const base = char.normalize('NFKD').replace(combiningMarks, '');
  if (base !== '' && base !== char && Array.from(base).every((c) => encodable(c.codePointAt(0)!))) return base;
  return REPLACEMENT;
}

/** The string with every character a standard PDF font can show; line breaks are kept. */
export function toWinAnsi(text: string): string {
  const cleaned = text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(spaces, ' ')
    .replace(invisible, '')
    .replace(variationSelectors, '')
    .replace(controls, '');
  // Fast path: most text is already encodable.
  let plain = true;
  for (let i = 0; i < cleaned.length; i++) {
    const code = cleaned.charCodeAt(i);
    if (!(encodable(code) || code === 0x0a)) {
      plain = false;
      break;
    }
  }
  if (plain) return cleaned;
  let out = '';
  for (const char of cleaned) out += mapCharacter(char);
  return out;
}
