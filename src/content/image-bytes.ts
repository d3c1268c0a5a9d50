/**
 * What an uploaded image really is, read from its bytes (never from the client's Content-Type or
 * file name): the type by content sniffing (file-type), and its pixel size from the header. Only
 * PNG, JPEG, GIF and WebP pass; SVG (it can carry script), HTML, PDF and everything else do not.
 *
 * The pixel size is read by hand from the first bytes of each of the four formats (a few dozen
 * lines, bounded, no decoding): file-type does not report it and no image library is installed.
 */
import { fileTypeFromBuffer } from 'file-type';

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export const IMAGE_EXTENSIONS: Record<ImageType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** The sniffed type, or undefined when the bytes are not one of the four allowed formats. */
export async function sniffImageType(bytes: Uint8Array): Promise<ImageType | undefined> {
  const found = await fileTypeFromBuffer(bytes);
  return (IMAGE_TYPES as readonly string[]).includes(found?.mime ?? '') ? (found?.mime as ImageType) : undefined;
}

export type Dimensions = { width: number; height: number };

const u16be = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u16le = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, i: number) => u16le(b, i) | ((b[i + 2] ?? 0) << 16);
const u32be = (b: Uint8Array, i: number) => u16be(b, i) * 65_536 + u16be(b, i + 2);

/** JPEG start-of-frame markers (baseline, progressive, lossless…), not DHT (C4), JPG (C8) or DAC (CC). */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegDimensions(b: Uint8Array): Dimensions | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1] ?? 0;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (SOF.has(marker)) return { height: u16be(b, i + 5), width: u16be(b, i + 7) };
    // Markers without a length: TEM and the restart markers.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    i += 2 + u16be(b, i + 2);
  }
  return undefined;
}

function webpDimensions(b: Uint8Array): Dimensions | undefined {
  const chunk = String.fromCharCode(...b.subarray(12, 16));
  if (chunk === 'VP8X') return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === 'VP8L') {
    const bits = (b[21] ?? 0) | ((b[22] ?? 0) << 8) | ((b[23] ?? 0) << 16) | ((b[24] ?? 0) << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ') return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  return undefined;
}

/** Width and height in pixels from the header, or undefined when the header does not say. */
export function imageDimensions(type: ImageType, b: Uint8Array): Dimensions | undefined {
  let d: Dimensions | undefined;
  if (type === 'image/png') d = { width: u32be(b, 16), height: u32be(b, 20) };
  else if (type === 'image/gif') d = { width: u16le(b, 6), height: u16le(b, 8) };
  else if (type === 'image/jpeg') d = jpegDimensions(b);
  else d = webpDimensions(b);
  if (!d || d.width < 1 || d.height < 1 || d.width > 1_000_000 || d.height > 1_000_000) return undefined;
  return d;
}
