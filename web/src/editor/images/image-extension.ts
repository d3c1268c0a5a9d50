/**
 * Images in the editor: the `image` block node (@tiptap/extension-image; its `src` is the image's
 * API URL, shown through image-loader.ts), drag-and-drop and pasted image files
 * (@tiptap/extension-file-handler), and pasted HTML whose `<img>` carry `data:` URLs (Word and
 * some web pages): the paste is held, each such image uploaded, and the HTML inserted with the
 * uploaded URLs, so no `data:` URL ever enters the shared document. Progress and errors are
 * published through `imageUploadsOf(editor)` for the toolbar (image-tools.tsx) to show.
 * Loaded with the editor kit (create-editor.ts), so none of it weighs on the initial JS.
 */
import { type AnyExtension, type Editor, Extension } from '@tiptap/core';
import FileHandler from '@tiptap/extension-file-handler';
import Image from '@tiptap/extension-image';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import { transformPastedHtml } from '../paste-html.ts';
import { blobFromDataUrl, IMAGE_TYPES, type ImageContext, ImageLoader, isStoredImageSrc } from './image-loader.ts';
import { ImageUploads, imageUploadsOf } from './image-uploads.ts';
import './images.css';

/** An image node drawn with a `blob:` URL for stored images; others say why they are not shown. */
const CollabImage = Image.extend({
  addStorage() {
    return { uploads: undefined as ImageUploads | undefined };
  },
  addNodeView() {
    return ({ node, editor }) => {
      const uploads = imageUploadsOf(editor);
      const dom = document.createElement('figure');
      dom.className = 'ed-image';
      const img = document.createElement('img');
      img.draggable = false;
      const note = document.createElement('figcaption');
      note.className = 'ed-image__note';
      dom.append(img, note);
      let shownSrc: unknown;
      const show = (src: unknown, alt: unknown) => {
        img.alt = typeof alt === 'string' ? alt : '';
        dom.title = img.alt;
        if (src === shownSrc) return;
        shownSrc = src;
        note.textContent = '';
        img.removeAttribute('src');
        if (isStoredImageSrc(src) && uploads) {
          dom.classList.add('ed-image--loading');
          uploads.loader.objectUrl(src).then(
            (url) => {
              if (shownSrc !== src) return;
              dom.classList.remove('ed-image--loading');
              img.src = url;
            },
            () => {
              if (shownSrc !== src) return;
              dom.classList.remove('ed-image--loading');
              note.textContent = `This image could not be loaded${img.alt ? ` (${img.alt})` : ''}.`;
            },
          );
        } else {
          let host = '';
          try {
            host = new URL(String(src)).host;
          } catch {
            host = '';
          }
          note.textContent = `Image${img.alt ? ` "${img.alt}"` : ''}${host ? ` from ${host}` : ''} not shown: only images uploaded to this document are displayed.`;
        }
      };
      show(node.attrs.src, node.attrs.alt);
      return {
        dom,
        update(updated) {
          if (updated.type !== node.type) return false;
          show(updated.attrs.src, updated.attrs.alt);
          return true;
        },
      };
    };
  },
});

/** Does this clipboard HTML carry images inline, as data: URLs? */
const DATA_IMAGE = /<img\b[^>]*\bsrc\s*=\s*["']?data:image\//i;

/**
 * Pastes that need an upload first: HTML with `data:` images (held, uploaded, then inserted), and
 * image files that come with HTML holding nothing but the image (a browser's "Copy image": the
 * HTML's `<img>` points at a remote URL the CSP would not show, so the file is uploaded instead).
 */
const ImagePaste = Extension.create<{ uploads: ImageUploads }>({
  name: 'collabImagePaste',
  // Before FaithfulPaste (blocks.ts) and the file handler see the paste.
  priority: 200,
  addProseMirrorPlugins() {
    const editor = this.editor;
    const uploads = this.options.uploads;
    return [
      new Plugin({
        key: new PluginKey('collabDocsImagePaste'),
        props: {
          handlePaste: (view, event) => {
            const data = event.clipboardData;
            if (!data || !editor.isEditable) return false;
            const html = data.getData('text/html');
            const files = Array.from(data.files).filter((f) => IMAGE_TYPES.includes(f.type));
            if (html && files.length > 0 && onlyImages(html)) {
              event.preventDefault();
              void uploads.insertFiles(editor, files);
              return true;
            }
            if (!html || !DATA_IMAGE.test(html)) return false;
            event.preventDefault();
            const { from, to } = view.state.selection;
            void pasteWithUploads(editor, uploads, html, from, to);
            return true;
          },
        },
      }),
    ];
  },
});

function onlyImages(html: string): boolean {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return (doc.body.textContent ?? '').trim() === '' && doc.body.querySelector('img') !== null;
}

async function pasteWithUploads(editor: Editor, uploads: ImageUploads, html: string, from: number, to: number) {
  // An inert document: nothing in it loads or runs, and the CSP never sees its style attributes.
  const doc = new DOMParser().parseFromString(transformPastedHtml(html), 'text/html');
  const images = Array.from(doc.querySelectorAll<HTMLImageElement>('img[src^="data:"]'));
  for (const [i, img] of images.entries()) {
    const blob = blobFromDataUrl(img.getAttribute('src') ?? '');
    const url = blob ? await uploads.uploadOne(blob, `pasted image ${i + 1} of ${images.length}`) : undefined;
    // An image that cannot be uploaded keeps its alt text, as words, where it stood.
    if (url) img.setAttribute('src', url);
    else img.replaceWith(doc.createTextNode(img.getAttribute('alt') ?? ''));
  }
  if (editor.isDestroyed) return;
  const size = editor.state.doc.content.size;
  editor
    .chain()
    .insertContentAt({ from: Math.min(from, size), to: Math.min(to, size) }, doc.body.innerHTML)
    .run();
}

/** The image node, paste and drop; without an image context (tests) only the node, shown as a note. */
export function imageExtensions(context: ImageContext | undefined): AnyExtension[] {
  if (!context) return [CollabImage];
  const uploads = new ImageUploads(new ImageLoader(context));
  return [
    CollabImage.extend({
      addStorage: () => ({ uploads }),
      onDestroy: () => uploads.loader.destroy(),
    }),
    ImagePaste.configure({ uploads }),
    FileHandler.configure({
      allowedMimeTypes: IMAGE_TYPES,
      onDrop: (editor, files, pos) => void uploads.insertFiles(editor, files, pos),
      onPaste: (editor, files) => void uploads.insertFiles(editor, files),
    }),
  ];
}
