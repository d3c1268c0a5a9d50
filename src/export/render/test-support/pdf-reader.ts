/**
 * Just enough of a PDF reader for the renderer tests: pages, the text each page shows (hex
 * strings in Tj/TJ, decoded through the font's ToUnicode map where it has one, as Chromium's
 * fonts do, else as WinAnsi, as pdfkit's standard fonts are), link targets, fonts, the Info
 * title and the outline. Streams are inflated. Not a general PDF parser.
 */
import { inflateSync } from 'node:zlib';

export type PdfSummary = {
  pages: number;
  /** The text of each page in page order, one line per text-showing operator. */
  pageTexts: string[];
  links: string[];
  fonts: string[];
  title: string | undefined;
  /** The outline (bookmarks) in file order, each with its parent bookmark's title. */
  bookmarks: { title: string; parent: string | undefined }[];
};

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

type PdfObject = { dict: string; stream: string | undefined };

/** Every `N 0 obj … endobj` by number, streams inflated. */
function objectTable(file: string, bytes: Uint8Array): Map<string, PdfObject> {
  const table = new Map<string, PdfObject>();
  for (const match of file.matchAll(/(?:^|[\r\n])(\d+) 0 obj\b/g)) {
    const start = match.index + match[0].length;
    const end = file.indexOf('endobj', start);
    const body = file.slice(start, end);
    const streamAt = /stream\r?\n/.exec(body);
    if (streamAt === null) {
      table.set(match[1]!, { dict: body, stream: undefined });
      continue;
    }
    const dataStart = start + streamAt.index + streamAt[0].length;
    const raw = bytes.subarray(dataStart, file.indexOf('endstream', dataStart));
    const dict = body.slice(0, streamAt.index);
    table.set(match[1]!, { dict, stream: /\/FlateDecode/.test(dict) ? latin1(inflateSync(raw)) : latin1(raw) });
  }
  return table;
}

type Font = { codeBytes: 1 | 2; toUnicode: Map<number, string> | undefined };

/** A ToUnicode CMap's bfchar and bfrange entries. */
function parseCMap(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  const utf16 = (hex: string) => Buffer.from(hex, 'hex').swap16().toString('utf16le');
  for (const [, body] of cmap.matchAll(/beginbfchar(.*?)endbfchar/gs)) {
    for (const [, from, to] of body!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) {
      map.set(Number.parseInt(from!, 16), utf16(to!));
    }
  }
  for (const [, body] of cmap.matchAll(/beginbfrange(.*?)endbfrange/gs)) {
    for (const [, lo, hi, to] of body!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) {
      const first = Number.parseInt(to!, 16);
      for (let code = Number.parseInt(lo!, 16); code <= Number.parseInt(hi!, 16); code++) {
        map.set(code, String.fromCharCode(first + code - Number.parseInt(lo!, 16)));
      }
    }
  }
  return map;
}

/** Font resource names (`/F4`) to their fonts, from every page's resources. */
function fontsByName(table: Map<string, PdfObject>): Map<string, Font> {
  const fonts = new Map<string, Font>();
  for (const { dict } of table.values()) {
    for (const [, inline, reference] of dict.matchAll(/\/Font\s*(?:<<(.*?)>>|(\d+) 0 R)/gs)) {
      const entries = inline ?? (reference === undefined ? '' : (table.get(reference)?.dict ?? ''));
      for (const [, name, id] of entries.matchAll(/\/([\w.+-]+)\s+(\d+)\s+0\s+R/g)) {
        const font = table.get(id!)?.dict ?? '';
        const cmapId = /\/ToUnicode\s+(\d+)\s+0\s+R/.exec(font)?.[1];
        const cmap = cmapId === undefined ? undefined : table.get(cmapId)?.stream;
        fonts.set(name!, {
          codeBytes: /\/Subtype\s*\/Type0/.test(font) ? 2 : 1,
          toUnicode: cmap === undefined ? undefined : parseCMap(cmap),
        });
      }
    }
  }
  return fonts;
}

/** WinAnsi's codes 0x80–0x9F, the only ones that differ from Latin-1. */
const winAnsiHigh = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function decodeHex(hex: string, font: Font | undefined): string {
  const width = (font?.codeBytes ?? 1) * 2;
  let text = '';
  for (let i = 0; i + width <= hex.length; i += width) {
    const code = Number.parseInt(hex.slice(i, i + width), 16);
    if (font?.toUnicode !== undefined) text += font.toUnicode.get(code) ?? '\uFFFD';
    else text += code >= 0x80 && code <= 0x9f ? winAnsiHigh[code - 0x80] : String.fromCharCode(code);
  }
  return text;
}

/** A literal string's value: escapes resolved, UTF-16BE when it opens with the byte order mark. */
function decodeLiteral(literal: string): string {
  const bytes = literal.replace(/\\([0-7]{1,3}|.)/gs, (_, escaped: string) => {
    if (/^[0-7]+$/.test(escaped)) return String.fromCharCode(Number.parseInt(escaped, 8));
    return ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[escaped] ?? escaped;
  });
  if (!bytes.startsWith('\xfe\xff')) return bytes;
  return Buffer.from(bytes.slice(2), 'latin1').swap16().toString('utf16le');
}

/** The text a content stream shows: one line per Tj or TJ operator, in the font set by Tf. */
function shownText(stream: string, fonts: Map<string, Font>): string {
  const lines: string[] = [];
  let font: Font | undefined;
  const operators = /\/([\w.+-]+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>\s*Tj|\[(.*?)\]\s*TJ/gs;
  for (const [, fontName, single, array] of stream.matchAll(operators)) {
    if (fontName !== undefined) font = fonts.get(fontName);
    else if (single !== undefined) lines.push(decodeHex(single, font));
    else lines.push([...array!.matchAll(/<([0-9a-fA-F]*)>/g)].map(([, hex]) => decodeHex(hex!, font)).join(''));
  }
  return lines.join('\n');
}

export function readPdf(bytes: Uint8Array): PdfSummary {
  const file = latin1(bytes);
  if (!file.startsWith('%PDF-')) throw new Error('not a PDF');
  const table = objectTable(file, bytes);
  const fonts = fontsByName(table);
  const pages = [...table.values()].filter(({ dict }) => /\/Type\s*\/Page(?![s\w])/.test(dict));
  const pageTexts = pages.map(({ dict }) => {
    const contents = /\/Contents\s+(\d+)\s+0\s+R/.exec(dict)?.[1];
    const stream = contents === undefined ? undefined : table.get(contents)?.stream;
    return stream === undefined ? '' : shownText(stream, fonts);
  });
  const everything = [file, ...[...table.values()].map((object) => object.stream ?? '')].join('\n');
  return {
    pages: pages.length,
    pageTexts,
    links: [...everything.matchAll(/\/URI\s*\(((?:\\.|[^\\)])*)\)/g)].map(([, uri]) => decodeLiteral(uri!)),
    fonts: [...new Set([...file.matchAll(/\/BaseFont\s*\/([\w-]+)/g)].map(([, font]) => font!))].sort(),
    title: infoTitle(file),
    bookmarks: bookmarks(file),
  };
}

function bookmarks(file: string): PdfSummary['bookmarks'] {
  const titles = new Map<string, string>();
  const entries: { title: string; parentId: string }[] = [];
  const pattern = /\n(\d+) 0 obj\s*<<\s*\/Dest\s*\[[^\]]*\]\s*\/Parent (\d+) 0 R\s*\/Title\s*\(((?:\\.|[^\\)])*)\)/g;
  for (const [, id, parentId, literal] of file.matchAll(pattern)) {
    const title = decodeLiteral(literal!);
    titles.set(id!, title);
    entries.push({ title, parentId: parentId! });
  }
  return entries.map(({ title, parentId }) => ({ title, parent: titles.get(parentId) }));
}

/** The Info dictionary's Title, written inline or (as pdfkit does) as an indirect string object. */
function infoTitle(file: string): string | undefined {
  const literal = '\\(((?:\\\\.|[^\\\\)])*)\\)';
  const object = (id: string) => {
    const at = file.indexOf(`\n${id} 0 obj`);
    return at === -1 ? '' : file.slice(at, file.indexOf('endobj', at));
  };
  const infoId = /\/Info\s+(\d+)\s+0\s+R/.exec(file)?.[1];
  if (infoId === undefined) return undefined;
  const info = object(infoId);
  const inline = new RegExp(`/Title\\s*${literal}`).exec(info);
  if (inline !== null) return decodeLiteral(inline[1]!);
  const reference = /\/Title\s+(\d+)\s+0\s+R/.exec(info)?.[1];
  if (reference === undefined) return undefined;
  const value = new RegExp(`obj\\s*${literal}`).exec(object(reference));
  return value === null ? undefined : decodeLiteral(value[1]!);
}
