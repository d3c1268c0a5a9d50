/**
 * The title a Word file carries in its properties (docProps/core.xml, `dc:title`), which mammoth
 * does not read. Hand-rolled over node:zlib because it is one small entry of a ZIP file: find it
 * in the central directory, inflate at most 64 KB of it, read one element. Anything unexpected
 * (not a ZIP, no such entry, another compression) is simply no title.
 */
import { inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_CORE_XML_BYTES = 64 * 1024;
const MAX_TITLE_CHARS = 1000;

function entry(zip: Buffer, wanted: string): Buffer | undefined {
  // The end-of-central-directory record is in the last 22 + 65,535 (comment) bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count && at + 46 <= zip.length; n++) {
    if (zip.readUInt32LE(at) !== CENTRAL) return undefined;
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + skip;
    if (name !== wanted) continue;
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL) return undefined;
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, Math.min(zip.length, start + size));
    if (method === 0) return data.subarray(0, MAX_CORE_XML_BYTES);
    if (method === 8) return inflateRawSync(data, { maxOutputLength: MAX_CORE_XML_BYTES });
    return undefined;
  }
  return undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXmlText(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g, (whole, dec, hex, name) => {
    const code = dec !== undefined ? Number(dec) : hex !== undefined ? Number.parseInt(hex, 16) : undefined;
    if (code !== undefined) return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    return ENTITIES[name as string] ?? whole;
  });
}

/** The document title from a .docx file's core properties, or undefined. */
export function docxTitle(zip: Buffer): string | undefined {
  try {
    const xml = entry(zip, 'docProps/core.xml')?.toString('utf8');
    const raw = xml && /<dc:title(?:\s[^>]*)?>([^<]{1,4000})<\/dc:title>/.exec(xml)?.[1];
    const title = raw ? decodeXmlText(raw).replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE_CHARS) : '';
    return title === '' ? undefined : title;
  } catch {
    // A truncated or odd ZIP: mammoth will say whether the file is readable at all.
    return undefined;
  }
}
