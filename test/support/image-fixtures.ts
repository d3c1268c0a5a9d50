/**
 * Small real images for the image tests, made here rather than checked in as binaries: a PNG of
 * any size and colour (encoded with zlib), and the smallest valid JPEG, GIF and WebP files.
 */
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG of pixels that do not compress (~3 bytes per pixel): for filling a quota. */
export function noisyPng(width: number, height: number, seed: number): Buffer {
  let x = (seed * 2_654_435_761) >>> 0 || 1;
  // xorshift32: no repeats deflate could find.
  return png(width, height, [0, 0, 0], seed, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  });
}

/** A solid-colour RGB PNG; `seed` varies one pixel so otherwise equal images differ in bytes. */
export function png(
  width: number,
  height: number,
  rgb: [number, number, number] = [208, 48, 48],
  seed = 0,
  noise?: (i: number) => number,
): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const rows = Array.from({ length: height }, (_, y) => {
    const r = Buffer.from(row);
    if (y === 0) r[1] = seed & 0xff;
    if (noise) for (let i = 1; i < r.length; i++) r[i] = noise(y * r.length + i);
    return r;
  });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** 1×1 baseline JPEG. */
export const JPEG_1X1 = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);
/** 1×1 GIF89a. */
export const GIF_1X1 = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
/** 1×1 lossless WebP. */
export const WEBP_1X1 = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
/** An SVG that would run script if a browser rendered it as a document. */
export const SVG_WITH_SCRIPT = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>',
);
