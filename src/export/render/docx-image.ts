/**
 * Images in the Word export: a PNG, JPEG or GIF the export inlined (`data:` URL,
 * src/export/inline-images.ts) becomes an inline picture with its alt text, no wider than the text
 * column (6.5 in on Letter and A4 with Word's default margins) and never enlarged. WebP (Word
 * cannot show it), remote URLs and images past the export's budget give undefined: the caller
 * prints the alt text instead.
 */
import { ImageRun, Paragraph } from 'docx';
import { IMAGE_TYPES, type ImageType, imageDimensions } from '../../content/image-bytes.ts';
import { type ProseMirrorJson, stringAttr } from '../../content/prosemirror-json.ts';

/** The text column at 96 px to the inch. */
const MAX_WIDTH_PX = 624;
const MAX_HEIGHT_PX = 864;
const DATA_URL = /^data:(image\/[a-z]+);base64,([a-z0-9+/=]+)$/i;
const DOCX_TYPES: Partial<Record<ImageType, 'png' | 'jpg' | 'gif'>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
};

export function imageParagraph(node: ProseMirrorJson): Paragraph | undefined {
  const src = node.attrs?.src;
  const m = typeof src === 'string' ? DATA_URL.exec(src) : null;
  const mime = m?.[1]?.toLowerCase() as ImageType | undefined;
  const type = mime && (IMAGE_TYPES as readonly string[]).includes(mime) ? DOCX_TYPES[mime] : undefined;
  if (!m || !mime || !type) return undefined;
  const data = Buffer.from(m[2] as string, 'base64');
  const size = imageDimensions(mime, data);
  if (!size) return undefined;
  const scale = Math.min(1, MAX_WIDTH_PX / size.width, MAX_HEIGHT_PX / size.height);
  const alt = stringAttr(node, 'alt') ?? '';
  return new Paragraph({
    children: [
      new ImageRun({
        type,
        data,
        transformation: {
          width: Math.max(1, Math.round(size.width * scale)),
          height: Math.max(1, Math.round(size.height * scale)),
        },
        altText: { name: alt || 'Image', description: alt, title: alt },
      }),
    ],
  });
}
