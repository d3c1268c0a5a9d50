/**
 * Images inside imported files (docs/spec/import.md [I4]), in the CRDT worker with the rest of
 * the conversion: a Word file's embedded pictures (mammoth's convertImage) and `data:` images in
 * HTML and Markdown are collected while the file is converted (the document gets placeholders),
 * then checked exactly as uploads are ([IM2] [IM3]: the type sniffed from the bytes, the size
 * limit, the workspace's remaining image space), given their image ids and URLs in the new
 * document, and handed back for the importer to store. An image that fails a check becomes a
 * one-line note in its place that says why; the import itself goes on. Remote images are never
 * fetched (the server does not load URLs named by a file) and are left out, as before.
 */
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { type ImageType, imageDimensions, sniffImageType } from '../image-bytes.ts';
import type { ProseMirrorJson } from '../prosemirror-json.ts';

/** What the importer allows, decided on the main thread before the conversion starts. */
export type ImportImageRules = {
  /** The new document's id: image URLs name it. */
  documentId: string;
  /** The API prefix of image URLs (src/app/images.ts `imageUrl`). */
  apiPrefix: string;
  /** IMAGE_MAX_BYTES: the upload limit, per image. */
  maxBytes: number;
  /** What the workspace may still store (IMAGE_WORKSPACE_MAX_BYTES less what it uses); null = no limit. */
  remainingBytes: number | null;
  /** Images one import stores at most. */
  maxImages: number;
};

export type ImportedImage = {
  id: string;
  bytes: Uint8Array;
  type: ImageType;
  sha256: string;
  width: number | null;
  height: number | null;
};

const PLACEHOLDER = 'collab-docs-import-image:';
const DATA_URL = /^data:([a-z0-9.+/-]*)(;[a-z0-9-]+=[^;,]*)*;base64,/i;

const size = (bytes: number) =>
  bytes < 1_048_576 ? `${Math.ceil(bytes / 1024)} KiB` : `${Math.round((bytes / 1_048_576) * 10) / 10} MiB`;

/** The URL uploads get (src/app/images.ts `imageUrl`, which the exports recognise). */
export const importedImageUrl = (apiPrefix: string, documentId: string, imageId: string) =>
  `${apiPrefix}/documents/${documentId}/images/${imageId}`;

export class ImportImageCollector {
  private readonly pending: { bytes: Uint8Array | undefined; problem?: string }[] = [];

  /** A picture read from the file: its placeholder `src`. */
  add(bytes: Uint8Array): string {
    this.pending.push({ bytes });
    return `${PLACEHOLDER}${this.pending.length - 1}`;
  }

  /** An `<img src>` in HTML: data: images are collected, anything else is left out. */
  fromSrc(src: string): string | undefined {
    if (src.startsWith(PLACEHOLDER)) return src; // mammoth's, already collected
    const data = DATA_URL.exec(src);
    if (!data) return undefined;
    const base64 = src.slice(data[0].length).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
      this.pending.push({ bytes: undefined, problem: 'its data could not be read' });
      return `${PLACEHOLDER}${this.pending.length - 1}`;
    }
    return this.add(Buffer.from(base64, 'base64'));
  }

  /**
   * Checks every collected image, sets the URLs of those that pass in `doc` (in place) and puts a
   * note where each other one was. Returns the images to store and how many became notes.
   */
  async resolve(doc: ProseMirrorJson, rules: ImportImageRules): Promise<{ images: ImportedImage[]; notes: number }> {
    const images: ImportedImage[] = [];
    const bySha = new Map<string, ImportedImage>();
    const outcome: ({ src: string } | { note: string })[] = [];
    let stored = 0;
    for (const [i, item] of this.pending.entries()) {
      const n = i + 1;
      const refuse = (why: string) => outcome.push({ note: `[Image ${n} was not imported: ${why}.]` });
      const bytes = item.bytes;
      if (!bytes || item.problem) {
        refuse(item.problem ?? 'it is empty');
        continue;
      }
      if (bytes.byteLength > rules.maxBytes) {
        refuse(`it is ${size(bytes.byteLength)}, and images may be at most ${size(rules.maxBytes)}`);
        continue;
      }
      const type = await sniffImageType(bytes);
      if (!type) {
        refuse('only PNG, JPEG, GIF and WebP images can be added');
        continue;
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const same = bySha.get(sha256);
      if (same) {
        outcome.push({ src: importedImageUrl(rules.apiPrefix, rules.documentId, same.id) });
        continue;
      }
      if (images.length >= rules.maxImages) {
        refuse(`one import brings at most ${rules.maxImages} images`);
        continue;
      }
      if (rules.remainingBytes !== null && stored + bytes.byteLength > rules.remainingBytes) {
        refuse("the workspace's image space is used up");
        continue;
      }
      const dims = imageDimensions(type, bytes);
      const image = { id: uuidv7(), bytes, type, sha256, width: dims?.width ?? null, height: dims?.height ?? null };
      images.push(image);
      bySha.set(sha256, image);
      stored += bytes.byteLength;
      outcome.push({ src: importedImageUrl(rules.apiPrefix, rules.documentId, image.id) });
    }
    replacePlaceholders(doc, outcome);
    return { images, notes: outcome.filter((o) => 'note' in o).length };
  }
}

/** Walks the blocks (without recursion: nesting is bounded but need not be trusted here). */
function replacePlaceholders(doc: ProseMirrorJson, outcome: ({ src: string } | { note: string })[]): void {
  const stack: ProseMirrorJson[] = [doc];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const content = node.content;
    if (!content) continue;
    for (const [i, child] of content.entries()) {
      const src = child.type === 'image' ? child.attrs?.src : undefined;
      if (typeof src !== 'string' || !src.startsWith(PLACEHOLDER)) {
        stack.push(child);
        continue;
      }
      const result = outcome[Number(src.slice(PLACEHOLDER.length))];
      if (result && 'src' in result) {
        content[i] = { ...child, attrs: { ...child.attrs, src: result.src } };
      } else {
        const note = result?.note ?? '[An image was not imported.]';
        content[i] = { type: 'paragraph', content: [{ type: 'text', text: note, marks: [{ type: 'italic' }] }] };
      }
    }
  }
}
