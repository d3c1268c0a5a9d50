/**
 * Just enough of a PDF reader for the renderer tests: pages, the text shown by each content
 * stream (pdfkit writes hex strings in TJ arrays, deflated unless compression is off), link
 * targets, fonts and the Info title. Not a general PDF parser.
 */
import { inflateSync } from 'node:zlib';

export type PdfSummary = {
  pages: number;
  /** One entry per content stream (pdfkit writes one per page, in page order). */
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

function streams(file: string, bytes: Uint8Array): string[] {
  const out: string[] = [];
  const pattern = /<<(.*?)>>\s*stream\r?\n/gs;
  for (let match = pattern.exec(file); match !== null; match = pattern.exec(file)) {
    const start = match.index + match[0].length;
    const end = file.indexOf('endstream', start);
    const raw = bytes.subarray(start, end);
    out.push(/\/FlateDecode/.test(match[1]!) ? latin1(inflateSync(raw)) : latin1(raw));
    pattern.lastIndex = end;
  }
  return out;
}

/** WinAnsi's codes 0x80–0x9F, the only ones that differ from Latin-1. */
const winAnsiHigh = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function decodeHex(hex: string): string {
  let text = '';
  for (let i = 0; i + 1 < hex.length; i += 2) {
    const code = Number.parseInt(hex.slice(i, i + 2), 16);
    text += code >= 0x80 && code <= 0x9f ? winAnsiHigh[code - 0x80] : String.fromCharCode(code);
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

/** The text a content stream shows: one line per TJ operator. */
function shownText(stream: string): string {
  const lines: string[] = [];
  for (const [, array] of stream.matchAll(/\[(.*?)\]\s*TJ/gs)) {
    lines.push([...array!.matchAll(/<([0-9a-fA-F]*)>/g)].map(([, hex]) => decodeHex(hex!)).join(''));
  }
  return lines.join('\n');
}

export function readPdf(bytes: Uint8Array): PdfSummary {
  const file = latin1(bytes);
  if (!file.startsWith('%PDF-')) throw new Error('not a PDF');
  const decoded = streams(file, bytes);
  const pageTexts = decoded.filter((stream) => /\bTJ\b/.test(stream)).map(shownText);
  const everything = [file, ...decoded].join('\n');
  return {
    pages: [...file.matchAll(/\/Type\s*\/Page(?![s\w])/g)].length,
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
