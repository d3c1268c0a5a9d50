/**
 * Images in the PDF export: a PNG or JPEG the export inlined (`data:` URL, src/export/inline-images.ts)
 * is embedded as an image XObject (pdfkit), at most as wide as the text column and as tall as a
 * page, never enlarged past its size at 96 dpi. Other images (WebP and GIF, which PDF cannot take
 * without re-encoding; remote URLs; images past the export's budget) are not drawn: the caller
 * prints their alt text instead.
 */
import type { ProseMirrorJson } from '../../content/prosemirror-json.ts';

const EMBEDDABLE = /^data:image\/(png|jpeg);base64,([a-z0-9+/=]+)$/i;
/** CSS pixels to points: 96 px = 72 pt. */
const PT_PER_PX = 0.75;

/** The bytes of an image node pdfkit can embed, or undefined. */
export function embeddableImage(node: ProseMirrorJson): Buffer | undefined {
  const src = node.attrs?.src;
  if (typeof src !== 'string') return undefined;
  const m = EMBEDDABLE.exec(src);
  return m ? Buffer.from(m[2] as string, 'base64') : undefined;
}

export type ImageBox = { x: number; width: number; maxHeight: number; gapAfter: number };

/**
 * Draws the image at the current y (the caller has made room for `imageHeight`); returns false
 * when the bytes are not an image pdfkit can read (then nothing was drawn).
 */
export function drawImage(
  doc: PDFKit.PDFDocument,
  bytes: Buffer,
  box: ImageBox,
  ensureSpace: (height: number) => void,
): boolean {
  let image: { width: number; height: number };
  try {
    // pdfkit has openImage (@types/pdfkit does not list it): reads the size without drawing.
    image = (doc as unknown as { openImage(b: Buffer): { width: number; height: number } }).openImage(bytes);
  } catch {
    return false;
  }
  if (!(image.width > 0 && image.height > 0)) return false;
  const scale = Math.min(1, box.width / (image.width * PT_PER_PX), box.maxHeight / (image.height * PT_PER_PX));
  const width = image.width * PT_PER_PX * scale;
  const height = image.height * PT_PER_PX * scale;
  ensureSpace(height);
  const y = doc.y;
  doc.image(image as unknown as PDFKit.Mixins.ImageSrc, box.x, y, { width, height });
  doc.x = box.x;
  doc.y = y + height + box.gapAfter;
  return true;
}
