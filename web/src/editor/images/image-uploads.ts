/**
 * Uploads in progress and their status for the toolbar: one `ImageUploads` per editor, kept in the
 * image node's storage (image-extension.ts). Free of TipTap runtime imports, so the toolbar
 * (image-tools.tsx) can use it without pulling the editor kit into the page's chunk.
 */
import type { Editor } from '@tiptap/core';
import { IMAGE_TYPES, type ImageLoader, uploadErrorMessage } from './image-loader.ts';

/** What the toolbar shows: nothing, an upload under way, or the last failure in plain words. */
export type ImageStatus = { kind: 'idle' } | { kind: 'uploading'; text: string } | { kind: 'error'; text: string };

export class ImageUploads {
  readonly loader: ImageLoader;
  private status: ImageStatus = { kind: 'idle' };
  private readonly listeners = new Set<(status: ImageStatus) => void>();
  private active = 0;

  constructor(loader: ImageLoader) {
    this.loader = loader;
  }

  get current(): ImageStatus {
    return this.status;
  }

  subscribe(listener: (status: ImageStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(status: ImageStatus): void {
    this.status = status;
    for (const listener of this.listeners) listener(status);
  }

  /** Uploads `files` one after another and inserts each where `at` says (now, or after the previous one). */
  async insertFiles(editor: Editor, files: File[], at?: number): Promise<void> {
    let pos = at;
    for (const file of files) {
      const url = await this.uploadOne(file, file.name || 'image');
      if (!url || editor.isDestroyed) continue;
      const node = { type: 'image', attrs: { src: url, alt: '' } };
      const where = pos === undefined ? editor.state.selection.to : Math.min(pos, editor.state.doc.content.size);
      editor
        .chain()
        .insertContentAt(where, node)
        // An image at the very end gets a paragraph after it, so typing can go on below it.
        .command(({ tr }) => {
          const paragraph = tr.doc.type.schema.nodes.paragraph;
          if (tr.doc.lastChild?.type.name === 'image' && paragraph) tr.insert(tr.doc.content.size, paragraph.create());
          return true;
        })
        .run();
      pos = undefined;
    }
  }

  /** One upload with progress in the status; the image URL, or undefined after showing the error. */
  async uploadOne(file: Blob, name: string): Promise<string | undefined> {
    if (!IMAGE_TYPES.includes(file.type)) {
      this.set({ kind: 'error', text: `${name}: ${uploadErrorMessage(415, undefined)}` });
      return undefined;
    }
    this.active++;
    this.set({ kind: 'uploading', text: `Uploading ${name}…` });
    try {
      const answer = await this.loader.upload(file, (fraction) => {
        this.set({ kind: 'uploading', text: `Uploading ${name}… ${Math.round(fraction * 100)}%` });
      });
      this.active--;
      if (this.active === 0) this.set({ kind: 'idle' });
      return answer.url;
    } catch (err) {
      this.active--;
      this.set({ kind: 'error', text: `${name}: ${(err as Error).message}` });
      return undefined;
    }
  }
}

/** The uploads of an editor (set when it has an image context), kept in the image node's storage. */
export function imageUploadsOf(editor: Editor): ImageUploads | undefined {
  return (editor.storage as unknown as { image?: { uploads?: ImageUploads } }).image?.uploads;
}
