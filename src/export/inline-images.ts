/**
 * Before rendering, the document's own images (`src` = one of its image URLs, docs/spec/images.md
 * [IM6.2]) are read from the file store and put inline as `data:` URLs, so every renderer (worker
 * threads, the external PDF service) gets a self-contained document and none of them needs the
 * store or a reader's token. Only this document's images are read (an image pasted from another
 * document is not fetched on the exporter's behalf); past a total budget the rest keep their URL
 * and the renderers print their alt text.
 */
import type { ProseMirrorJson } from '../content/prosemirror-json.ts';
import type { ImageSource } from './ports.ts';

export type { ImageSource };

/** Image bytes one export inlines at most (base64 makes it a third more). */
export const INLINE_IMAGE_BUDGET_BYTES = 64 * 1_048_576;

const IMAGE_URL = /^\/api\/v1\/documents\/([0-9a-f-]{36})\/images\/([0-9a-f-]{36})$/i;

/**
 * Puts the document's own images inline, in place (`content` is the attempt's own projection).
 * Walks without recursion: a hostile document may be nested far deeper than a stack allows (the
 * render limits refuse it afterwards).
 */
export async function inlineImages(
  content: ProseMirrorJson,
  documentId: string,
  source: ImageSource,
  budget = INLINE_IMAGE_BUDGET_BYTES,
): Promise<ProseMirrorJson> {
  const nodes: ProseMirrorJson[] = [];
  const stack: unknown[] = [content];
  while (stack.length > 0) {
    const node = stack.pop() as ProseMirrorJson | null;
    if (typeof node !== 'object' || node === null) continue;
    if (node.type === 'image' && typeof node.attrs?.src === 'string') nodes.push(node);
    if (Array.isArray(node.content)) stack.push(...node.content);
  }
  const wanted = new Map<string, string>();
  for (const node of nodes) {
    const m = IMAGE_URL.exec(node.attrs?.src as string);
    if (m && m[1]?.toLowerCase() === documentId.toLowerCase()) wanted.set(node.attrs?.src as string, m[2] as string);
  }
  const inline = new Map<string, string>();
  let spent = 0;
  for (const [src, imageId] of wanted) {
    const image = await source.read(documentId, imageId);
    if (!image || spent + image.bytes.byteLength > budget) continue;
    spent += image.bytes.byteLength;
    inline.set(src, `data:${image.contentType};base64,${Buffer.from(image.bytes).toString('base64')}`);
  }
  for (const node of nodes) {
    const data = inline.get(node.attrs?.src as string);
    if (data) node.attrs = { ...node.attrs, src: data };
  }
  return content;
}
